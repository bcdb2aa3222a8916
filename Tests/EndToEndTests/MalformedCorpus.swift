import Foundation
import Testing

/// The table of ``MalformedInputTests``: every file of `Resources/malformed/`
/// with the command that reads it and the words its one-line error must hold.
enum MalformedCorpus {
    typealias Case = MalformedInputTests.Case

    static let npz: [Case] = [
        Case(file: "npz_truncated_at_0.npz", mentions: ["not a format"]),
        Case(file: "npz_truncated_at_3.npz", mentions: ["not a format"]),
        Case(file: "npz_truncated_at_30.npz", mentions: ["truncated"]),
        Case(file: "npz_truncated_at_200.npz", mentions: ["'f16.npy'", "truncated"]),
        Case(file: "npz_truncated_at_2362.npz", mentions: ["'flags.npy'", "truncated"]),
        Case(file: "npz_truncated_at_4702.npz", mentions: ["'empty.npy'", "truncated"]),
        Case(file: "npz_truncated_at_4724.npz", mentions: ["'empty.npy'", "truncated"]),
        Case(file: "npz_deflated_truncated_at_1810.npz", mentions: ["'be_f4.npy'", "truncated"]),
        Case(file: "npz_bad_local_magic.npz", mentions: ["not a format"]),
        Case(file: "npz_bad_crc.npz", mentions: ["'f16.npy'", "CRC-32"]),
        Case(file: "npz_deflated_corrupt.npz", mentions: ["'f16.npy'"]),
        Case(file: "npz_duplicate_member.npz", mentions: ["'w.npy'", "more than once"]),
        Case(file: "npz_overlapping_members.npz", mentions: ["'a.npy'", "'b.npy'", "overlap"]),
        Case(file: "npz_zip_bomb.npz", mentions: ["'w.npy'", "4294967280 bytes", "zip bomb"]),
        Case(file: "npz_lying_size.npz", mentions: ["'w.npy'", "disagree"]),
        Case(file: "npz_eocd_offset_past_end.npz", mentions: ["central directory", "past the end"]),
        Case(file: "npz_member_not_npy.npz", mentions: ["'notes.txt'", "not a .npy"]),
        Case(file: "npz_member_bad_magic.npz", mentions: ["'w.npy'", "magic"]),
        Case(file: "npz_pickled_object.npz", mentions: ["'evil.npy'", "|O", "never unpickled"]),
        Case(file: "npz_shape_larger_than_data.npz", mentions: ["'w.npy'", "4000000000 bytes", "only 64"]),
        Case(file: "npz_unsupported_method.npz", mentions: ["'w.npy'", "method 12"]),
    ]

    static let npy: [Case] = [
        Case(file: "npy_1e12_elements.npy", mentions: ["4000000000000 bytes", "only 64"]),
        Case(file: "npy_shape_overflows.npy", mentions: ["overflows"]),
        Case(file: "npy_negative_dim.npy", mentions: ["non-negative"]),
        Case(file: "npy_truncated_at_4.npy", mentions: ["not a format"]),
        Case(file: "npy_truncated_at_9.npy", mentions: ["magic"]),
        Case(file: "npy_truncated_at_40.npy", mentions: ["cut off"]),
        Case(file: "npy_truncated_at_127.npy", mentions: ["cut off"]),
        Case(file: "npy_data_short.npy", mentions: ["60240 bytes", "only 896"]),
        Case(file: "npy_bad_magic.npy", mentions: ["not a format"]),
        Case(file: "npy_bad_version.npy", mentions: ["version 9.0"]),
        Case(file: "npy_pickled_object.npy", mentions: ["|O", "never unpickled"]),
        Case(file: "npy_header_is_code.npy", mentions: ["not a Python dict literal"]),
        Case(file: "npy_header_length_lies.npy", mentions: ["9000 bytes"]),
        Case(file: "npy_header_non_latin.npy", mentions: ["UTF-8"]),
    ]

    static let h5: [Case] = [
        Case(file: "h5_truncated_at_0.h5", mentions: ["not a format"]),
        Case(file: "h5_truncated_at_8.h5", mentions: ["cannot open as HDF5"]),
        Case(file: "h5_truncated_at_100.h5", mentions: ["truncated"]),
        Case(file: "h5_truncated_at_1024.h5", mentions: ["truncated"]),
        Case(file: "h5_truncated_at_4096.h5", mentions: ["truncated"]),
        Case(file: "h5_truncated_at_16642.h5", mentions: ["truncated"]),
        Case(file: "h5_truncated_at_33184.h5", mentions: ["truncated"]),
        Case(file: "h5_bad_magic.h5", mentions: ["not a format"]),
        Case(file: "h5_superblock_zeroed.h5", mentions: ["cannot open as HDF5"]),
        Case(file: "h5_external_link.h5", mentions: ["'fc2.weight'", "external link"]),
        Case(file: "h5_external_storage.h5", mentions: ["'fc1.weight'", "external files"]),
        Case(file: "h5_virtual_dataset.h5", mentions: ["'v'", "virtual"]),
        Case(file: "h5_deep_groups.h5", mentions: ["deeper than 64"]),
        Case(file: "h5_absurd_gzip.h5", mentions: ["'fc1.weight'", "4000000000000 bytes"]),
        Case(file: "h5_absurd_contiguous.h5", mentions: ["'fc1.weight'", "16000000000 bytes"]),
    ]

    static let kerasH5: [Case] = [
        Case(file: "keras_h5_missing_weight.h5", mentions: ["'dense_1'", "model_weights/dense_1/dense_1/gone:0"]),
        Case(file: "keras_h5_string_weight.h5", mentions: ["model_weights/head/head/bias:0", "strings"]),
        Case(file: "keras_h5_shape_mismatch.h5", mentions: ["model_weights/dense_1/dense_1/kernel:0", "[64, 33]"]),
        Case(file: "keras_h5_conv2d_layer.h5", command: .auditModel, mentions: ["'dense_1'", "Conv2D"]),
        Case(file: "keras_h5_lambda_layer.h5", command: .auditModel, mentions: ["'dropout'", "Lambda"]),
        Case(file: "keras_h5_soft_link_cycle.h5", mentions: ["model_weights/head/head/bias:0"]),
        Case(file: "keras_h5_config_not_json.h5", mentions: ["model config"]),
        Case(file: "keras_h5_config_deep_nesting.h5", mentions: ["model config"]),
    ]

    static let keras: [Case] = [
        Case(file: "keras_truncated_at_13726.keras", mentions: ["model.weights.h5"], bundle: true),
        Case(file: "keras_no_weights_member.keras", bundle: true),
        Case(file: "keras_config_not_json.keras", mentions: ["config.json"], bundle: true),
        Case(file: "keras_conv2d_layer.keras", command: .auditModel, mentions: ["Conv2D"], bundle: true),
        Case(file: "keras_weights_truncated.keras", mentions: ["model.weights.h5"], bundle: true),
        Case(file: "keras_bad_crc.keras", mentions: ["model.weights.h5"], bundle: true),
    ]

    static let csv: [Case] = [
        Case(file: "csv_nan_cell.csv", command: .auditData, mentions: ["line 6", "column 'age'", "not finite"]),
        Case(file: "csv_inf_cell.csv", command: .auditData, mentions: ["line 8", "column 'hours_per_week'", "'-inf'"]),
        Case(file: "csv_empty_cell.csv", command: .auditData, mentions: ["line 10", "column 'capital_gain'", "empty"]),
        Case(
            file: "csv_not_a_number.csv", command: .auditData,
            mentions: ["line 12", "column 'education_num'", "'twelve'"]),
        Case(file: "csv_non_utf8.csv", command: .auditData, mentions: ["line 14", "column 'sex'", "UTF-8"]),
        Case(file: "csv_non_utf8_feature.csv", command: .auditData, mentions: ["line 15", "column 'age'", "UTF-8"]),
        Case(file: "csv_ragged_row.csv", command: .auditData, mentions: ["line 18", "84 fields", "83"]),
        Case(file: "csv_short_row.csv", command: .auditData, mentions: ["line 20", "80 fields"]),
        Case(file: "csv_missing_label_column.csv", command: .auditData, mentions: ["label column 'income'"]),
        Case(file: "csv_missing_group_column.csv", command: .auditData, mentions: ["group column 'sex'"]),
        Case(
            file: "csv_feature_count_differs.csv", command: .auditData, mentions: ["79 feature columns", "80 inputs"]),
        Case(file: "csv_label_three_values.csv", command: .auditData, mentions: ["line 4", "column 'income'", "'2'"]),
        Case(file: "csv_one_group_only.csv", command: .auditData, mentions: ["'sex'", "only one group", "'Male'"]),
        Case(file: "csv_header_only.csv", command: .auditData, mentions: ["no data rows"]),
        Case(file: "csv_empty.csv", command: .auditData, mentions: ["empty"]),
        Case(file: "csv_unclosed_quote.csv", command: .auditData, mentions: ["line 22", "quoted field"]),
        Case(file: "csv_duplicate_column.csv", command: .auditData, mentions: ["'capital_gain'", "twice"]),
    ]

    /// Every corpus case (the controls are tested apart).
    static let cases: [Case] = npz + npy + h5 + kerasH5 + keras + csv

    /// A convert (`fixData == nil`) or fix run that must be refused without
    /// leaving anything in the output folder.
    struct Write: Sendable, CustomStringConvertible {
        var input: String
        var output: String
        var fixData: String? = nil
        var mentions: [String]
        var description: String { "\(input) → \(output)" }
    }

    static let writes: [Write] = [
        Write(input: "npz_bad_crc.npz", output: "out.npz", mentions: ["'f16.npy'", "CRC-32"]),
        Write(input: "npz_bad_crc.npz", output: "out.h5", mentions: ["'f16.npy'", "CRC-32"]),
        Write(input: "h5_truncated_at_16642.h5", output: "out.npz", mentions: ["truncated"]),
        Write(input: "keras_h5_string_weight.h5", output: "out.h5", mentions: ["model_weights/head/head/bias:0"]),
        Write(
            input: "keras_h5_lambda_layer.h5", output: "fixed.h5", fixData: "examples/adult/groups.csv",
            mentions: ["Lambda"]),
        Write(
            input: "examples/adult/model.h5", output: "fixed.h5", fixData: "csv_nan_cell.csv",
            mentions: ["line 6", "column 'age'"]),
    ]
}

/// The table covers the corpus exactly: every file in `Resources/malformed/`
/// has a case (and the one valid control), and no case names a missing file.
@Test func corpusTableListsEveryCorpusFile() throws {
    let dir = MalformedInputTests.corpus("")
    let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
    #expect(files == Set(MalformedInputTests.cases.map(\.file) + ["csv_valid_control.csv"]))
    #expect(MalformedInputTests.cases.count == 81)
}

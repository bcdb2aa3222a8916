import Foundation

extension CSVChunk {
    /// What the text cells of a record came to.
    enum TextOutcome {
        /// Ids of the row's group key and label (-1 without a label column).
        case row(group: Int, label: Int)
        /// A group cell is empty: the row is left out.
        case skipped
        /// A cell is bad; ``failure`` says which.
        case failed
        /// The fast path cannot decide (an empty group cell): use the general path.
        case general
    }

    /// Reads the group, label and kept cells of a record whose field `c` is
    /// `base[starts[c]..<ends[c]]`, in the order record-by-record reading
    /// checks them: group cells (valid UTF-8, then any empty one skips the
    /// row), the label, the kept cells. Text is validated once per distinct
    /// value, when it is first interned.
    func readText(
        _ base: UnsafePointer<UInt8>, starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>,
        line: Int, layout: CSVLayout, general: Bool
    ) -> TextOutcome {
        let cols = layout.columns
        func utf8Failure(_ c: Int) -> TextOutcome {
            let place = layout.columns.header[c]
            fail(line: line) { "line \($0), column '\(place)': the text is not valid UTF-8" }
            return .failed
        }
        func valid(_ c: Int) -> Bool {
            String(validating: UnsafeBufferPointer(start: base + starts[c], count: ends[c] - starts[c]), as: UTF8.self)
                != nil
        }
        var anyEmpty = false
        for c in cols.groups where ends[c] == starts[c] { anyEmpty = true }
        if anyEmpty {
            guard general else { return .general }
            for c in cols.groups where !valid(c) { return utf8Failure(c) }
            return .skipped
        }
        let group: Int
        if cols.groups.count == 1, let c = cols.groups.first {
            let (id, isNew) = groups.intern(base + starts[c], ends[c] - starts[c])
            if isNew && !valid(c) { return utf8Failure(c) }
            group = id
        } else {
            keyScratch.removeAll(keepingCapacity: true)
            for c in cols.groups {
                let n = UInt32(truncatingIfNeeded: ends[c] - starts[c])
                withUnsafeBytes(of: n.littleEndian) { keyScratch.append(contentsOf: $0) }
                keyScratch.append(contentsOf: UnsafeBufferPointer(start: base + starts[c], count: ends[c] - starts[c]))
            }
            let (id, isNew) = groups.intern(keyScratch[...])
            if isNew { for c in cols.groups where !valid(c) { return utf8Failure(c) } }
            group = id
        }
        var label = -1
        if let c = cols.label {
            let (id, isNew) = labels.intern(base + starts[c], ends[c] - starts[c])
            if isNew {
                if !valid(c) { return utf8Failure(c) }
                labelLines.append(line)
            }
            label = id
        }
        for (k, c) in cols.keep.enumerated() {
            guard
                let s = String(
                    validating: UnsafeBufferPointer(start: base + starts[c], count: ends[c] - starts[c]),
                    as: UTF8.self)
            else { return utf8Failure(c) }
            kept[k].append(s)
        }
        return .row(group: group, label: label)
    }

    /// Turns one record decoded by the general scanner into a row, or the
    /// message naming its line and column.
    func generalRecord(
        _ scanner: CSVRecordScanner, starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>,
        line: Int, layout: CSVLayout
    ) {
        let n = layout.fieldCount
        guard scanner.fieldCount == n else {
            let got = scanner.fieldCount
            fail(line: line) { "line \($0): \(got) fields, the header has \(n)" }
            return
        }
        for c in 0..<n {
            starts[c] = c == 0 ? 0 : scanner.fieldEnds[c - 1] + 1
            ends[c] = scanner.fieldEnds[c]
        }
        scanner.bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            let (group, label): (Int, Int)
            switch readText(base, starts: starts, ends: ends, line: line, layout: layout, general: true) {
            case .row(let g, let l): (group, label) = (g, l)
            case .skipped:
                skipped += 1
                return
            case .failed, .general: return
            }
            let row = openRow()
            for c in layout.columns.features {
                switch CSVCell.parseFloat(base + starts[c], count: ends[c] - starts[c]) {
                case .success(let v): row[Int(layout.slots[c])] = v
                case .failure(let problem):
                    let cell = CSVCell.quoted(ArraySlice(all[starts[c]..<ends[c]]))
                    let utf8 =
                        String(validating: UnsafeBufferPointer(rebasing: all[starts[c]..<ends[c]]), as: UTF8.self)
                        != nil
                    let name = layout.columns.header[c]
                    fail(line: line) { line in
                        let place = "line \(line), column '\(name)'"
                        switch problem {
                        case .empty: return "\(place): the feature cell is empty"
                        case .notFinite: return "\(place): the feature cell \(cell) is not finite (NaN or infinity)"
                        case .notANumber:
                            return utf8
                                ? "\(place): the feature cell \(cell) is not a number"
                                : "\(place): the text is not valid UTF-8"
                        }
                    }
                    return
                }
            }
            commitRow(group: group, label: label)
        }
    }
}

// swift-tools-version:6.0
import PackageDescription

/// fairaudit: read model weights (HDF5, NPZ) into one graph, audit them for
/// group fairness, fix them with neutralized low-rank fine-tuning.
///
/// Adding a format or an audit is adding a folder under `formats/` or
/// `audits/`, one target line below, and one entry in
/// `Sources/FairAuditPlugins/Registry.swift`.
let package = Package(
    name: "fairaudit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fairaudit", targets: ["fairaudit"]),
        // Parses an untrusted HDF5 file in its own process; fairaudit looks for it next to itself.
        .executable(name: "fairaudit-hdf5-probe", targets: ["fairaudit-hdf5-probe"]),
        .library(name: "FairAudit", targets: ["FairAudit", "FairAuditPlugins"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // fairaudit.toml policies: a full TOML 1.0 parser with error positions.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // ONNX models: ModelProto decoded by code generated once from onnx.proto (scripts/generate_onnx_proto.sh).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries: a module map and a shim of static inline wrappers each.
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),

        // AVX2 + FMA float kernels behind a runtime CPU check (function attributes, no build flags).
        .target(name: "CKernels", path: "Sources/CKernels"),

        // The library core: tensors, the graph, plugin protocols, zip, CSV, executor.
        .target(
            name: "FairAudit",
            dependencies: ["CZlib", "CBLAS", "CKernels", .product(name: "TOMLKit", package: "TOMLKit")],
            path: "Sources/FairAudit"),

        // Format plugins.
        .target(name: "FormatNPZ", dependencies: ["FairAudit"], path: "formats/NPZ"),
        .target(name: "FormatHDF5", dependencies: ["FairAudit", "CHDF5"], path: "formats/HDF5"),
        .target(name: "FormatSafeTensors", dependencies: ["FairAudit"], path: "formats/SafeTensors"),
        .target(name: "FormatPyTorch", dependencies: ["FairAudit"], path: "formats/PyTorch"),
        .target(
            name: "FormatONNX",
            dependencies: ["FairAudit", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "formats/ONNX", exclude: ["Generated/onnx.proto"]),

        // Audit plugins.
        .target(name: "AuditFairness", dependencies: ["FairAudit"], path: "audits/Fairness"),
        .target(name: "AuditFisher", dependencies: ["FairAudit"], path: "audits/Fisher"),

        // The registries: the one place that lists every plugin.
        .target(
            name: "FairAuditPlugins",
            dependencies: [
                "FairAudit", "FormatNPZ", "FormatHDF5", "FormatSafeTensors", "FormatPyTorch", "FormatONNX",
                "AuditFairness", "AuditFisher",
            ],
            path: "Sources/FairAuditPlugins"),

        // The command.
        .executableTarget(
            name: "fairaudit",
            dependencies: [
                "FairAuditPlugins", "fairaudit-hdf5-probe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/fairaudit"),
        // The HDF5 probe process (formats/HDF5/HDF5Probe.swift).
        .executableTarget(
            name: "fairaudit-hdf5-probe", dependencies: ["FormatHDF5"],
            path: "Sources/fairaudit-hdf5-probe"),

        // The checks every format plugin passes, shared by the test targets.
        .target(name: "FormatConformance", dependencies: ["FairAudit"], path: "Tests/FormatConformance"),

        // A format and an audit defined in a test target run through the registry, gate and report.
        .testTarget(
            name: "PluginBoundaryTests", dependencies: ["FairAudit", "FairAuditPlugins", "FormatConformance"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "FairAuditTests", dependencies: ["FairAudit", "FairAuditPlugins", "FormatConformance"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "FormatNPZTests", dependencies: ["FormatNPZ", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "FormatHDF5Tests", dependencies: ["FormatHDF5", "FormatNPZ", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "FormatSafeTensorsTests", dependencies: ["FormatSafeTensors", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "FormatPyTorchTests", dependencies: ["FormatPyTorch", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "FormatONNXTests", dependencies: ["FormatONNX", "FormatNPZ", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "AuditFairnessTests", dependencies: ["AuditFairness", "AuditFisher", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "AuditFisherTests", dependencies: ["AuditFisher", "FairAuditPlugins"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["FairAuditPlugins"],
            resources: [.copy("Resources")]),
    ]
)

// swift-tools-version: 6.0
// clinload — batch ETL for clinical feeds: validate, split identity from clinical
// data, encrypt identifiers under KMS-wrapped keys, load into PostgreSQL, audit.
//
// Layering (bottom to top): C modules for libpq / OpenSSL / libxml2 (libxml2 only
// behind the opaque CXMLBridge — its headers drag in ICU, which clashes with
// Foundation's ICU in any Swift module that imports both), thin Swift wrappers,
// a vocabulary core with no I/O, the extract / validate / protect / store layers,
// the batch engine, and the CLI on top.
import PackageDescription

let package = Package(
    name: "clinload",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "clinload", targets: ["clinload"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "CXMLBridge", dependencies: ["CLibXML2"]),

        // MARK: vocabulary (no I/O)
        .target(name: "ClinloadCore"),
        .target(name: "ClinloadDefinitions", dependencies: [
            "ClinloadCore",
            .product(name: "Yams", package: "Yams"),
        ]),

        // MARK: stages
        .target(name: "ClinloadExtract", dependencies: ["ClinloadCore"]),
        // Streaming XML (libxml2 reader + XSD) behind CXMLBridge; no libxml2 header here.
        .target(name: "ClinloadXML", dependencies: ["CXMLBridge", "ClinloadCore"]),
        // Records out of XML feeds: the per-record tree and the pipeline path language.
        .target(name: "ClinloadXMLMapping", dependencies: ["ClinloadXML", "ClinloadDefinitions", "ClinloadCore"]),
        .target(name: "ClinloadValidate", dependencies: ["ClinloadCore", "ClinloadDefinitions"]),
        .target(name: "ClinloadCrypto", dependencies: ["COpenSSL", "ClinloadCore"]),
        .target(name: "ClinloadKeys", dependencies: ["ClinloadCrypto", "ClinloadCore"]),
        // AWS KMS key provider: SigV4 over OpenSSL's HMAC/SHA-256, URLSession
        // (FoundationNetworking on Linux) for the KMS JSON 1.1 API.
        .target(name: "ClinloadAWS", dependencies: ["ClinloadKeys", "ClinloadCrypto", "ClinloadCore"]),
        .target(name: "ClinloadPostgres", dependencies: ["CLibPQ", "ClinloadCore"]),
        .target(name: "ClinloadEmbedded", dependencies: ["ClinloadCore", "ClinloadPostgres"]),
        .target(name: "ClinloadStore", dependencies: [
            "ClinloadCore", "ClinloadPostgres", "ClinloadCrypto", "ClinloadKeys",
        ]),
        .target(name: "ClinloadEngine", dependencies: [
            "ClinloadCore", "ClinloadDefinitions", "ClinloadExtract", "ClinloadValidate",
            "ClinloadCrypto", "ClinloadKeys", "ClinloadPostgres", "ClinloadEmbedded",
            "ClinloadStore", "ClinloadXML", "ClinloadXMLMapping", "ClinloadAWS", "ClinloadDeid",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ClinloadSynth", dependencies: ["ClinloadCore"]),
        // De-identification rules for research extracts (pure: no I/O but reading rule tables).
        .target(name: "ClinloadDeid", dependencies: ["ClinloadCore", "ClinloadCrypto"]),

        // MARK: command line
        .executableTarget(name: "clinload", dependencies: [
            "ClinloadEngine", "ClinloadSynth", "ClinloadDefinitions", "ClinloadEmbedded",
            "ClinloadCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: tests
        .testTarget(name: "ClinloadUnitTests", dependencies: [
            "ClinloadCore", "ClinloadDefinitions", "ClinloadExtract", "ClinloadValidate",
            "ClinloadCrypto", "ClinloadKeys", "ClinloadSynth", "CXMLBridge", "ClinloadXML", "ClinloadXMLMapping",
            "ClinloadAWS", "ClinloadDeid",
        ], exclude: ["Fixtures"]),
        .testTarget(name: "ClinloadIntegrationTests", dependencies: [
            "ClinloadCore", "ClinloadDefinitions", "ClinloadEngine", "ClinloadPostgres",
            "ClinloadEmbedded", "ClinloadStore", "ClinloadKeys", "ClinloadCrypto", "ClinloadSynth",
            "ClinloadXML", "ClinloadAWS", "ClinloadDeid", "ClinloadValidate", "clinload",
        ]),
    ]
)

import ClinloadCore
import ClinloadCrypto
@testable import ClinloadKeys
import Foundation
import Testing

@Suite("Local key provider (master key file)")
struct LocalKeyProviderTests {
    let folder = NSTemporaryDirectory() + "/clinload-keys-\(UUID().uuidString)"
    var path: String { folder + "/master.key" }

    @Test func createsTheKeyFileWithMode0600() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let provider = try LocalKeyProvider(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(provider.keyEncryptionKeyId.hasPrefix("local:"))
        // Reopening finds the same key.
        #expect(try LocalKeyProvider(path: path).keyEncryptionKeyId == provider.keyEncryptionKeyId)
    }

    @Test func refusesAGroupOrWorldReadableKeyFile() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try LocalKeyProvider(path: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let error = #expect(throws: ClinloadError.self) { _ = try LocalKeyProvider(path: path) }
        #expect(error?.code == .keyFileInsecure)
        #expect(error?.exitStatus == .configuration)
    }

    @Test func wrapsAndUnwrapsDataKeysBoundToTheirContext() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let provider = try LocalKeyProvider(path: path)
        let id = UUID()
        let generated = try provider.generateDataKey(context: .dataKey(id: id, purpose: "batch"))
        #expect(generated.plaintext.count == 32)
        let unwrapped = try provider.unwrap(generated.wrapped, context: .dataKey(id: id, purpose: "batch"))
        #expect(unwrapped.constantTimeEquals(generated.plaintext))
        // The wrapped form does not contain the plaintext key.
        let plainBytes = generated.plaintext.withUnsafeBytes { Array($0) }
        #expect(!generated.wrapped.blob.windows(ofCount: 32).contains { Array($0) == plainBytes })
        // Another context (other key id or purpose) must not unwrap it.
        #expect(throws: ClinloadError.self) { _ = try provider.unwrap(generated.wrapped, context: .dataKey(id: UUID(), purpose: "batch")) }
        #expect(throws: ClinloadError.self) { _ = try provider.unwrap(generated.wrapped, context: .dataKey(id: id, purpose: "blind_index")) }
    }

    @Test func anotherMasterKeyCannotUnwrap() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let provider = try LocalKeyProvider(path: path)
        let other = try LocalKeyProvider(path: folder + "/other.key")
        let id = UUID()
        let generated = try provider.generateDataKey(context: .dataKey(id: id, purpose: "batch"))
        var forged = generated.wrapped
        forged.keyEncryptionKeyId = other.keyEncryptionKeyId
        #expect(throws: ClinloadError.self) { _ = try other.unwrap(forged, context: .dataKey(id: id, purpose: "batch")) }
    }

    @Test func keyURIsChooseTheProvider() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let provider = try KeyProviderURI.provider(for: "local:\(path)", relativeTo: URL(fileURLWithPath: "/"))
        #expect(provider is LocalKeyProvider)
        #expect(throws: ClinloadError.self) { _ = try KeyProviderURI.provider(for: "vault://x", relativeTo: URL(fileURLWithPath: "/")) }
    }
}

extension Array {
    fileprivate func windows(ofCount n: Int) -> [ArraySlice<Element>] {
        guard count >= n else { return [] }
        return (0...(count - n)).map { self[$0..<($0 + n)] }
    }
}

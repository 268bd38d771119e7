import CoreML
import CryptoKit
import Foundation
import SapiensCore

/// An SDK bundle copied into the app: `Bundles/<name>/manifest.json` and `model.mlpackage`.
///
/// The app knows nothing about a model beyond its manifest, so any `sapiens2 compile --target
/// coreml` output dropped into Bundles/ works.
struct ModelBundle: Identifiable {
    let name: String
    let directory: URL
    let manifest: BundleManifest
    /// SHA-256 of manifest.json, which lists every artifact's checksum: names the compiled-model cache.
    let fingerprint: String

    var id: String { name }

    /// Every bundle under the app's Bundles folder, and one line per folder that is not a usable bundle.
    static func discover() -> (bundles: [ModelBundle], problems: [String]) {
        guard let root = Bundle.main.url(forResource: "Bundles", withExtension: nil),
              let folders = try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)
        else { return ([], []) }
        var bundles: [ModelBundle] = []
        var problems: [String] = []
        for folder in folders.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            let manifestURL = folder.appendingPathComponent(ModelIO.manifestFile)
            guard FileManager.default.fileExists(atPath: manifestURL.path) else { continue }
            do {
                let manifest = try BundleManifest.load(from: manifestURL)
                let contents = try Data(contentsOf: manifestURL)
                let digest = SHA256.hash(data: contents)
                let fingerprint = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
                bundles.append(ModelBundle(name: folder.lastPathComponent, directory: folder,
                                           manifest: manifest, fingerprint: fingerprint))
            } catch {
                problems.append("\(folder.lastPathComponent): \(error)")
            }
        }
        return (bundles, problems)
    }

    /// The model opened on `computeUnits`; the .mlpackage is compiled once per bundle content and cached.
    func loadModel(computeUnits: MLComputeUnits) async throws -> MLModel {
        let configuration = MLModelConfiguration()
        configuration.computeUnits = computeUnits
        let compiled = try await compiledModel()
        return try await MLModel.load(contentsOf: compiled, configuration: configuration)
    }

    private func compiledModel() async throws -> URL {
        let caches = try FileManager.default.url(for: .cachesDirectory, in: .userDomainMask,
                                                 appropriateFor: nil, create: true)
        let cached = caches.appendingPathComponent("\(name)-\(fingerprint).mlmodelc")
        if FileManager.default.fileExists(atPath: cached.path) {
            return cached
        }
        let compiled = try await MLModel.compileModel(at: directory.appendingPathComponent(ModelIO.modelPackage))
        // Compiled into a temporary folder, moved into place whole: a half-written cache entry never exists.
        try? FileManager.default.removeItem(at: cached)
        try FileManager.default.moveItem(at: compiled, to: cached)
        return cached
    }
}

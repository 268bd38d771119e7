import SwiftUI

/// Frames per second, model latency, what runs where, and the latest message.
struct HUDView: View {
    let framesPerSecond: Double?
    let latency: TimeInterval?
    let bundle: ModelBundle?
    let computeUnits: ComputeUnitChoice
    let message: String?

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(framesPerSecond.map { String(format: "%.1f frames/s", $0) } ?? "-- frames/s")
            Text(latency.map { String(format: "model %.1f ms", $0 * 1000) } ?? "model -- ms")
            if let bundle {
                let manifest = bundle.manifest
                Text("\(bundle.name): \(manifest.task) \(manifest.precision) \(manifest.inputWidth)x\(manifest.inputHeight), \(computeUnits.rawValue)")
            }
            if let message {
                Text(message)
                    .foregroundStyle(.yellow)
            }
        }
        .font(.system(.footnote, design: .monospaced))
        .foregroundStyle(.white)
        .padding(8)
        .background(Color.black.opacity(0.5), in: RoundedRectangle(cornerRadius: 8))
        .frame(maxWidth: .infinity, alignment: .leading)
    }
}

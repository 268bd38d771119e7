import SapiensCore
import SwiftUI

/// The latest result drawn over the preview: the skeleton in the manifest's colours, or the class colours at half opacity.
struct OverlayView: View {
    let result: FrameResult
    /// Keypoints below this raw heatmap score are not drawn (the SDK's visualisation threshold).
    static let keypointThreshold: Float = 0.3

    var body: some View {
        GeometryReader { geometry in
            let frame = fittedFrame(in: geometry.size)
            switch result.overlay {
            case .segmentation(let image):
                Image(decorative: image, scale: 1)
                    .resizable()
                    .interpolation(.none)
                    .frame(width: frame.width, height: frame.height)
                    .position(x: frame.midX, y: frame.midY)
                    .opacity(0.5)
            case .pose(let keypoints, let scores):
                Canvas { context, _ in
                    drawPose(in: context, keypoints: keypoints, scores: scores, frame: frame)
                }
            }
        }
    }

    /// Where the camera frame sits in the view (aspect fit, as the preview layer's resizeAspect).
    private func fittedFrame(in size: CGSize) -> CGRect {
        let scale = min(size.width / CGFloat(result.frameWidth), size.height / CGFloat(result.frameHeight))
        let width = CGFloat(result.frameWidth) * scale
        let height = CGFloat(result.frameHeight) * scale
        return CGRect(x: (size.width - width) / 2, y: (size.height - height) / 2, width: width, height: height)
    }

    private func drawPose(in context: GraphicsContext, keypoints: [SIMD2<Float>], scores: [Float], frame: CGRect) {
        let labels = result.bundle.manifest.labels
        let scale = frame.width / CGFloat(result.frameWidth)
        // Pixel centres sit on integer coordinates: pixel x covers [x - 0.5, x + 0.5].
        func place(_ point: SIMD2<Float>) -> CGPoint {
            CGPoint(x: frame.minX + (CGFloat(point.x) + 0.5) * scale, y: frame.minY + (CGFloat(point.y) + 0.5) * scale)
        }
        func visible(_ index: Int) -> Bool {
            index >= 0 && index < keypoints.count && index < scores.count && scores[index] > Self.keypointThreshold
        }
        let links = labels?.skeletonLinks ?? []
        let linkColors = labels?.skeletonLinkColorsRGB ?? []
        for (index, link) in links.enumerated() where link.count == 2 && visible(link[0]) && visible(link[1]) {
            var path = Path()
            path.move(to: place(keypoints[link[0]]))
            path.addLine(to: place(keypoints[link[1]]))
            context.stroke(path, with: .color(color(linkColors, index)), lineWidth: 3)
        }
        let pointColors = labels?.colorsRGB ?? []
        for index in keypoints.indices where visible(index) {
            let centre = place(keypoints[index])
            let dot = CGRect(x: centre.x - 3, y: centre.y - 3, width: 6, height: 6)
            context.fill(Path(ellipseIn: dot), with: .color(color(pointColors, index)))
        }
    }

    private func color(_ table: [[Int]], _ index: Int) -> Color {
        guard index < table.count, table[index].count == 3 else { return .white }
        let rgb = table[index]
        return Color(red: Double(rgb[0]) / 255, green: Double(rgb[1]) / 255, blue: Double(rgb[2]) / 255)
    }
}

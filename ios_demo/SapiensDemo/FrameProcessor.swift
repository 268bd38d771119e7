import CoreGraphics
import CoreImage
import CoreML
import CoreVideo
import Foundation
import SapiensCore

/// What to draw over one camera frame, in frame pixels.
enum Overlay {
    case pose(keypoints: [SIMD2<Float>], scores: [Float])
    case segmentation(CGImage)
}

struct FrameResult {
    let bundle: ModelBundle
    let overlay: Overlay
    let frameWidth: Int
    let frameHeight: Int
    /// Seconds spent in Core ML's prediction alone.
    let latency: TimeInterval
}

/// Runs one bundle's model on camera frames: fits the frame to the model input the way the
/// manifest says, predicts, and decodes with SapiensCore; pose keypoints are then tracked and
/// One-Euro smoothed per person (SapiensCore's `PoseTracking`, the SDK's video path).
///
/// Called on the camera queue, one frame at a time (never on the main thread). The model input is
/// drawn into pixel buffers from one pool, so frames allocate nothing large.
final class FrameProcessor {
    let bundle: ModelBundle
    private let model: MLModel
    private let pool: CVPixelBufferPool
    // No colour management: the model was trained on the camera's RGB values as they are.
    private let context = CIContext(options: [.workingColorSpace: NSNull(), .cacheIntermediates: false])
    private let pose: PoseDecoding?
    private let palette: SegmentationPalette?
    private var tracking: PoseTracking?

    /// The manifest numbers the pose decode needs.
    private struct PoseDecoding {
        let boxPadding: Float
        let heatmapWidth: Int
        let heatmapHeight: Int
        let blurKernelSize: Int
    }

    init(bundle: ModelBundle, model: MLModel) throws {
        let manifest = bundle.manifest
        self.bundle = bundle
        self.model = model
        if manifest.task == ModelIO.poseTask {
            guard let padding = manifest.image.resize.boxPadding, let heatmapSize = manifest.decoding.heatmapSize,
                  heatmapSize.count == 2, let kernel = manifest.decoding.blurKernelSize
            else { throw DemoError("\(bundle.name): the pose manifest lacks box_padding, heatmap_size or blur_kernel_size") }
            pose = PoseDecoding(boxPadding: Float(padding), heatmapWidth: heatmapSize[1],
                                heatmapHeight: heatmapSize[0], blurKernelSize: kernel)
            tracking = manifest.labels.map { PoseTracking(keypointNames: $0.names) }
            palette = nil
        } else {
            pose = nil
            palette = try SegmentationPalette(colorsRGB: manifest.labels?.colorsRGB ?? [])
        }
        var created: CVPixelBufferPool?
        let attributes: [String: Any] = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_32BGRA,
            kCVPixelBufferWidthKey as String: manifest.inputWidth,
            kCVPixelBufferHeightKey as String: manifest.inputHeight,
            kCVPixelBufferIOSurfacePropertiesKey as String: [String: Any](),
        ]
        CVPixelBufferPoolCreate(nil, nil, attributes as CFDictionary, &created)
        guard let created else { throw DemoError("cannot allocate \(manifest.inputWidth)x\(manifest.inputHeight) pixel buffers") }
        pool = created
    }

    func process(_ frame: CVPixelBuffer) throws -> FrameResult {
        let manifest = bundle.manifest
        let timestamp = ProcessInfo.processInfo.systemUptime  // frames are processed as they arrive
        let frameWidth = CVPixelBufferGetWidth(frame)
        let frameHeight = CVPixelBufferGetHeight(frame)
        let crop = pose.map {
            TopDownCrop(frameWidth: frameWidth, frameHeight: frameHeight, inputWidth: manifest.inputWidth,
                        inputHeight: manifest.inputHeight, padding: $0.boxPadding)
        }
        let input = try modelInput(frame, crop: crop)
        let features = try MLDictionaryFeatureProvider(dictionary: [ModelIO.imageInput: MLFeatureValue(pixelBuffer: input)])
        let start = ProcessInfo.processInfo.systemUptime
        let outputs = try model.prediction(from: features)
        let latency = ProcessInfo.processInfo.systemUptime - start
        let overlay: Overlay
        if let crop, let pose {
            overlay = try decodePose(outputs, crop: crop, decoding: pose, at: timestamp)
        } else {
            overlay = try decodeSegmentation(outputs)
        }
        return FrameResult(bundle: bundle, overlay: overlay, frameWidth: frameWidth, frameHeight: frameHeight, latency: latency)
    }

    /// The frame fitted to the model input: the UDP crop of the whole frame (pose) or a stretch (seg).
    private func modelInput(_ frame: CVPixelBuffer, crop: TopDownCrop?) throws -> CVPixelBuffer {
        let manifest = bundle.manifest
        let frameHeight = CVPixelBufferGetHeight(frame)
        let transform: CGAffineTransform
        if let crop {
            let map = crop.matrix.bottomLeftOrigin(sourceHeight: frameHeight, destinationHeight: manifest.inputHeight)
            transform = CGAffineTransform(a: map.a, b: map.c, c: map.b, d: map.d, tx: map.tx, ty: map.ty)
        } else {
            transform = CGAffineTransform(scaleX: CGFloat(manifest.inputWidth) / CGFloat(CVPixelBufferGetWidth(frame)),
                                          y: CGFloat(manifest.inputHeight) / CGFloat(frameHeight))
        }
        let bounds = CGRect(x: 0, y: 0, width: manifest.inputWidth, height: manifest.inputHeight)
        let black = CIImage(color: .black).cropped(to: bounds)  // the SDK's border value 0
        let image = CIImage(cvPixelBuffer: frame).transformed(by: transform).composited(over: black).cropped(to: bounds)
        var buffer: CVPixelBuffer?
        CVPixelBufferPoolCreatePixelBuffer(nil, pool, &buffer)
        guard let buffer else { throw DemoError("the pixel buffer pool is exhausted") }
        context.render(image, to: buffer, bounds: bounds, colorSpace: nil)
        return buffer
    }

    /// In-graph integer peaks, refined with DARK when the heatmaps are there (`--decode beside`), mapped to
    /// the frame, smoothed for the person's track.
    private func decodePose(_ outputs: MLFeatureProvider, crop: TopDownCrop, decoding: PoseDecoding,
                            at timestamp: TimeInterval) throws -> Overlay {
        let flat = try values(outputs, ModelIO.keypoints)
        let scores = try values(outputs, ModelIO.scores)
        var peaks = stride(from: 0, to: flat.count - 1, by: 2).map { SIMD2<Float>(flat[$0], flat[$0 + 1]) }
        if let heatmaps = outputs.featureValue(for: ModelIO.heatmaps)?.multiArrayValue {
            let maps = Heatmaps(count: peaks.count, height: decoding.heatmapHeight, width: decoding.heatmapWidth,
                                values: heatmaps.rowMajorFloats())
            peaks = HeatmapDecoder.refineDarkUDP(peaks: peaks, heatmaps: maps, kernelSize: decoding.blurKernelSize)
        }
        let keypoints = peaks.map { peak -> SIMD2<Float> in
            let input = HeatmapDecoder.toInputFrame(peak, heatmapWidth: decoding.heatmapWidth,
                                                    heatmapHeight: decoding.heatmapHeight,
                                                    inputWidth: crop.inputWidth, inputHeight: crop.inputHeight)
            return crop.keypointToImage(input)
        }
        let tracked = tracking?.update(keypoints: keypoints, scores: scores, at: timestamp)
        return .pose(keypoints: tracked?.keypoints ?? keypoints, scores: scores)
    }

    /// In-graph class labels at model resolution, coloured with the manifest's palette (stretched back when drawn).
    private func decodeSegmentation(_ outputs: MLFeatureProvider) throws -> Overlay {
        let manifest = bundle.manifest
        let labels = try values(outputs, ModelIO.labels).map { Int32(exactly: $0) ?? -1 }  // -1: drawn transparent
        let pixels = palette?.rgba(labels: labels) ?? []
        let width = manifest.inputWidth
        let height = manifest.inputHeight
        guard pixels.count == width * height * 4,
              let provider = CGDataProvider(data: Data(pixels) as CFData),
              let image = CGImage(width: width, height: height, bitsPerComponent: 8, bitsPerPixel: 32,
                                  bytesPerRow: width * 4, space: CGColorSpaceCreateDeviceRGB(),
                                  bitmapInfo: CGBitmapInfo(rawValue: CGImageAlphaInfo.last.rawValue),
                                  provider: provider, decode: nil, shouldInterpolate: false, intent: .defaultIntent)
        else { throw DemoError("the labels output is not \(width)x\(height)") }
        return .segmentation(image)
    }

    private func values(_ outputs: MLFeatureProvider, _ name: String) throws -> [Float] {
        guard let array = outputs.featureValue(for: name)?.multiArrayValue else {
            throw DemoError("the model returned no \(name) output")
        }
        return array.rowMajorFloats()
    }
}

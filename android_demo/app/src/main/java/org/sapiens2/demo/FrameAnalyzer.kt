package org.sapiens2.demo

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import org.sapiens2.core.DenseResize
import org.sapiens2.core.FrameGate
import org.sapiens2.core.HeatmapDecoder
import org.sapiens2.core.Image
import org.sapiens2.core.PoseTracking
import org.sapiens2.core.TopdownCrop
import org.sapiens2.core.Yuv

/** What the overlay draws: keypoints in frame pixels, smoothed per tracked person (pose), or a label map at model resolution (seg). */
sealed class Result(val frameWidth: Int, val frameHeight: Int, val latencyNanos: Long) {
    class Pose(frameWidth: Int, frameHeight: Int, latencyNanos: Long, val keypoints: FloatArray, val scores: FloatArray, val trackId: Int?) :
        Result(frameWidth, frameHeight, latencyNanos)

    class Seg(frameWidth: Int, frameHeight: Int, latencyNanos: Long, val labels: IntArray, val width: Int, val height: Int) :
        Result(frameWidth, frameHeight, latencyNanos)
}

/**
 * Runs on CameraX's analysis thread: YUV -> upright RGB, the bundle's resize policy, the program, and
 * the decoding the bundle left outside its graph, then (pose) the person's track and One-Euro smoothing
 * on the camera's timestamps. Frames arriving while one is in flight are dropped (CameraX keeps only
 * the latest, the gate guards the model); frame and crop buffers are reused.
 */
class FrameAnalyzer(private val bundle: Bundle, private val runner: ModelRunner, private val onResult: (Result) -> Unit) : ImageAnalysis.Analyzer {
    private val gate = FrameGate()
    private val spec = bundle.manifest.input
    private var frame: Image? = null
    private val planeBytes = arrayOfNulls<ByteArray>(3)
    private val modelImage = Image(spec.width, spec.height)
    private val tracking = if (bundle.manifest.task == "pose") PoseTracking(bundle.manifest.labels.names) else null

    override fun analyze(image: ImageProxy) {
        image.use {
            if (!gate.tryEnter()) return
            try {
                onResult(process(it))
            } finally {
                gate.exit()
            }
        }
    }

    private fun process(image: ImageProxy): Result {
        val rgb = toRgb(image)
        val started = System.nanoTime()
        return if (bundle.manifest.task == "pose") pose(rgb, started, image.imageInfo.timestamp) else seg(rgb, started)
    }

    private fun pose(rgb: Image, started: Long, timestampNanos: Long): Result {
        val crop = TopdownCrop.wholeImage(rgb.width, rgb.height, spec.width, spec.height, spec.boxPadding)
        crop.warp(rgb, modelImage)
        runner.input.fill(modelImage, "RGB")
        val outputs = runner.run()
        val scores = requireNotNull(outputs["scores"]) { "the pose bundle has no 'scores' output" }.dataAsFloatArray
        val keypoints = keypointsInInputFrame(outputs.mapValues { it.value.dataAsFloatArray }, scores.size)
        crop.keypointsToImage(keypoints)
        val tracked = tracking?.update(keypoints, scores, timestampNanos / 1e9)
        return Result.Pose(rgb.width, rgb.height, System.nanoTime() - started, tracked?.keypoints ?: keypoints, scores, tracked?.trackId)
    }

    /** In-graph decoding gives integer heatmap peaks; otherwise the heatmaps are decoded here (DARK-UDP). */
    private fun keypointsInInputFrame(outputs: Map<String, FloatArray>, count: Int): FloatArray {
        val height = requireNotNull(bundle.manifest.heatmapHeight) { "the manifest has no heatmap size" }
        val width = requireNotNull(bundle.manifest.heatmapWidth) { "the manifest has no heatmap size" }
        val decoder = HeatmapDecoder(spec.width, spec.height)
        val heatmaps = outputs["heatmaps"]
        val keypoints = FloatArray(2 * count)
        if (heatmaps != null) {
            decoder.decode(heatmaps, count, height, width, keypoints, FloatArray(count))
        } else {
            requireNotNull(outputs["keypoints"]) { "the pose bundle has neither 'heatmaps' nor 'keypoints'" }.copyInto(keypoints)
            decoder.peaksToInputFrame(keypoints, count, height, width)
        }
        return keypoints
    }

    private fun seg(rgb: Image, started: Long): Result {
        runner.input.fill(DenseResize.stretch(rgb, spec.width, spec.height, modelImage), "RGB")
        val labels = requireNotNull(runner.run()["labels"]) { "compile the seg bundle with --decode: the app reads 'labels'" }
        val ids = labels.dataAsUnsignedByteArray.let { bytes -> IntArray(bytes.size) { bytes[it].toInt() and 0xFF } }
        return Result.Seg(rgb.width, rgb.height, System.nanoTime() - started, ids, spec.width, spec.height)
    }

    private fun toRgb(image: ImageProxy): Image {
        val rotation = image.imageInfo.rotationDegrees
        val turned = rotation == 90 || rotation == 270
        val width = if (turned) image.height else image.width
        val height = if (turned) image.width else image.height
        val out = frame?.takeIf { it.width == width && it.height == height } ?: Image(width, height).also { frame = it }
        val (y, u, v) = image.planes.mapIndexed { i, plane ->
            val size = plane.buffer.remaining()
            val bytes = planeBytes[i]?.takeIf { it.size == size } ?: ByteArray(size).also { planeBytes[i] = it }
            plane.buffer.get(bytes)
            Yuv.Plane(bytes, plane.rowStride, plane.pixelStride)
        }
        return Yuv.toRgb(image.width, image.height, y, u, v, rotation, out)
    }
}

package org.sapiens2.demo

import android.Manifest
import android.content.pm.PackageManager
import android.os.Bundle as SavedState
import android.view.Gravity
import android.view.ViewGroup.LayoutParams.MATCH_PARENT
import android.view.ViewGroup.LayoutParams.WRAP_CONTENT
import android.widget.Button
import android.widget.FrameLayout
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.app.ActivityCompat
import androidx.core.content.ContextCompat
import org.sapiens2.core.RateMeter
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/** Camera preview with the live pose or segmentation overlay, a pose/seg switch, a camera switch and the HUD. */
class MainActivity : ComponentActivity() {
    private val analysisThread: ExecutorService = Executors.newSingleThreadExecutor()
    private lateinit var preview: PreviewView
    private lateinit var overlay: OverlayView
    private lateinit var hud: TextView
    private val meter = RateMeter()
    private var task = "pose"
    private var frontCamera = false
    @Volatile private var bundle: Bundle? = null  // written on the analysis thread, read by the overlay
    @Volatile private var runner: ModelRunner? = null

    override fun onCreate(savedInstanceState: SavedState?) {
        super.onCreate(savedInstanceState)
        preview = PreviewView(this)
        overlay = OverlayView(this) { bundle?.manifest?.labels }
        hud = TextView(this).apply { setTextColor(WHITE); setBackgroundColor(HUD_BACKGROUND); setPadding(16, 8, 16, 8) }
        val modeButton = Button(this).apply { setText("pose / seg"); setOnClickListener { task = if (task == "pose") "seg" else "pose"; startCamera() } }
        val cameraButton = Button(this).apply { setText("front / back"); setOnClickListener { frontCamera = !frontCamera; startCamera() } }
        setContentView(FrameLayout(this).apply {
            addView(preview, FrameLayout.LayoutParams(MATCH_PARENT, MATCH_PARENT, Gravity.TOP))
            addView(overlay, FrameLayout.LayoutParams(MATCH_PARENT, MATCH_PARENT, Gravity.TOP))
            addView(hud, FrameLayout.LayoutParams(WRAP_CONTENT, WRAP_CONTENT, Gravity.TOP or Gravity.START))
            addView(modeButton, FrameLayout.LayoutParams(WRAP_CONTENT, WRAP_CONTENT, Gravity.BOTTOM or Gravity.START))
            addView(cameraButton, FrameLayout.LayoutParams(WRAP_CONTENT, WRAP_CONTENT, Gravity.BOTTOM or Gravity.END))
        })
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            ActivityCompat.requestPermissions(this, arrayOf(Manifest.permission.CAMERA), CAMERA_REQUEST)
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<String>, grantResults: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (requestCode == CAMERA_REQUEST && grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) startCamera()
        else hud.setText("the demo needs the camera")
    }

    /** (Re)bind preview + analysis for the current task and camera; the bundle is loaded on the analysis thread. */
    private fun startCamera() {
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            val provider = future.get()
            provider.unbindAll()
            val analysis = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
                .build()
            val wanted = task
            analysisThread.execute { prepare(wanted, analysis) }
            val previewCase = Preview.Builder().build().also { it.setSurfaceProvider(preview.surfaceProvider) }
            val selector = if (frontCamera) CameraSelector.DEFAULT_FRONT_CAMERA else CameraSelector.DEFAULT_BACK_CAMERA
            provider.bindToLifecycle(this, selector, previewCase, analysis)
        }, ContextCompat.getMainExecutor(this))
    }

    /** Load the task's bundle off the UI thread, then analyse frames on that same thread. */
    private fun prepare(wanted: String, analysis: ImageAnalysis) {
        try {
            runner?.close()
            val loaded = Bundle.load(this, wanted)
            val model = ModelRunner(loaded)
            bundle = loaded
            runner = model
            analysis.setAnalyzer(analysisThread, FrameAnalyzer(loaded, model) { result -> runOnUiThread { show(result) } })
        } catch (error: RuntimeException) {
            runOnUiThread { hud.setText(error.message ?: error.toString()) }
        }
    }

    private fun show(result: Result) {
        meter.record(System.nanoTime(), result.latencyNanos)
        overlay.show(result, mirrored = frontCamera)
        val weights = if (bundle?.manifest?.randomWeights == true) "  RANDOM WEIGHTS" else ""
        val person = (result as? Result.Pose)?.trackId?.let { "  person $it" } ?: ""
        hud.setText(String.format(Locale.US, "%s  %.1f frames/s  model %.0f ms%s%s", task, meter.framesPerSecond, meter.latencyMs, person, weights))
    }

    override fun onDestroy() {
        super.onDestroy()
        analysisThread.shutdown()
        runner?.close()
    }

    private companion object {
        const val CAMERA_REQUEST = 17
        const val WHITE = -0x1
        const val HUD_BACKGROUND = -0x78000000
    }
}

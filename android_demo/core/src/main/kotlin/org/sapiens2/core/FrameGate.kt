package org.sapiens2.core

import java.util.concurrent.atomic.AtomicBoolean

/**
 * Admits one frame at a time to inference and drops the frames that arrive meanwhile, so that the
 * overlay shows the newest result instead of falling behind a queue. Counts what it dropped.
 */
class FrameGate {
    private val busy = AtomicBoolean(false)

    @Volatile
    var dropped: Long = 0
        private set

    /** True (and the gate closes) when no frame is in flight; false means drop this frame. */
    fun tryEnter(): Boolean {
        if (busy.compareAndSet(false, true)) return true
        dropped++
        return false
    }

    fun exit() = busy.set(false)
}

/** An exponentially smoothed rate and duration, for the HUD's frames/s and model latency. */
class RateMeter(private val smoothing: Double = 0.1) {
    private var lastNanos: Long? = null

    var framesPerSecond: Double = 0.0
        private set
    var latencyMs: Double = 0.0
        private set

    /** A result was shown at `nowNanos`, after a model call of `latencyNanos`. */
    fun record(nowNanos: Long, latencyNanos: Long) {
        latencyMs = smooth(latencyMs, latencyNanos / 1e6)
        lastNanos?.let { if (nowNanos > it) framesPerSecond = smooth(framesPerSecond, 1e9 / (nowNanos - it)) }
        lastNanos = nowNanos
    }

    private fun smooth(current: Double, sample: Double): Double = if (current == 0.0) sample else current + smoothing * (sample - current)
}

package org.sapiens2.core

/**
 * One-Euro parameters: `minCutoff` (Hz) smooths at rest, `beta` (Hz per unit/s of speed) raises the
 * cut-off with speed, `dCutoff` (Hz) smooths the speed estimate itself.
 */
data class OneEuroParams(val minCutoff: Double = 1.0, val beta: Double = 0.0, val dCutoff: Double = 1.0) {
    init {
        require(minCutoff > 0 && dCutoff > 0 && beta >= 0) { "One-Euro cut-offs must be positive and beta non-negative" }
    }
}

/** Exponential smoothing weight of a first-order low-pass at `cutoff` Hz over `dt` seconds. */
fun smoothingFactor(cutoff: Double, dt: Double): Double {
    val tau = 1.0 / (2.0 * Math.PI * cutoff)
    return 1.0 / (1.0 + tau / dt)
}

/**
 * The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) over a fixed number of values, each with
 * its own parameters: a low-pass whose cut-off rises with speed, so jitter at rest is smoothed hard
 * and fast motion passes with little lag. Driven by timestamps, so it behaves the same at any frame
 * rate and across dropped frames. A port of the SDK's `processing/one_euro.py`, in double precision.
 */
class OneEuroFilter(private val params: List<OneEuroParams>) {
    private var value: DoubleArray? = null
    private val speed = DoubleArray(params.size)
    private var time = 0.0

    /** Forget the history: the next sample passes through unchanged. */
    fun reset() {
        value = null
    }

    /**
     * The filtered `sample` at `timestamp` seconds. `speedScale` divides the speed before `beta`
     * (the person's box height in pixels, so that `beta` does not depend on the image size). A sample
     * not after the previous one returns the previous output and changes nothing.
     */
    fun filter(sample: DoubleArray, timestamp: Double, speedScale: Double = 1.0): DoubleArray {
        require(sample.size == params.size) { "expected ${params.size} values, got ${sample.size}" }
        val previous = value
        if (previous == null) {
            value = sample.copyOf()
            speed.fill(0.0)
            time = timestamp
            return sample.copyOf()
        }
        val dt = timestamp - time
        if (dt <= 0) return previous.copyOf()
        for (i in sample.indices) {
            val p = params[i]
            val speedWeight = smoothingFactor(p.dCutoff, dt)
            speed[i] = speedWeight * ((sample[i] - previous[i]) / dt) + (1.0 - speedWeight) * speed[i]
            val weight = smoothingFactor(p.minCutoff + p.beta * Math.abs(speed[i]) / speedScale, dt)
            previous[i] = weight * sample[i] + (1.0 - weight) * previous[i]
        }
        time = timestamp
        return previous.copyOf()
    }
}

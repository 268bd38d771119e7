package org.sapiens2.core

/**
 * The model input a bundle asks for, filled from an image into buffers allocated once: uint8 NHWC
 * when the bundle normalises in its graph, else float32 NCHW normalised here as `(x - mean) / std`.
 */
class InputTensor(private val spec: InputSpec) {
    val shape: LongArray = spec.shape.map { it.toLong() }.toLongArray()
    val pixels: ByteArray? = if (spec.normalization.inGraph) ByteArray(spec.width * spec.height * 3) else null
    val floats: FloatArray? = if (spec.normalization.inGraph) null else FloatArray(spec.width * spec.height * 3)

    /** Fill from `image` (the model input size), whose channel order is `imageOrder` ("RGB" or "BGR"). */
    fun fill(image: Image, imageOrder: String) {
        require(image.width == spec.width && image.height == spec.height) {
            "the model takes ${spec.width}x${spec.height}, got ${image.width}x${image.height}"
        }
        val swap = imageOrder != spec.colorOrder
        pixels?.let { fillPixels(image, swap, it) }
        floats?.let { normalize(image, swap, spec.normalization, it) }
    }

    private fun fillPixels(image: Image, swap: Boolean, out: ByteArray) {
        if (!swap) return System.arraycopy(image.pixels, 0, out, 0, out.size)
        for (i in out.indices step 3) {
            out[i] = image.pixels[i + 2]
            out[i + 1] = image.pixels[i + 1]
            out[i + 2] = image.pixels[i]
        }
    }

    companion object {
        /** `(float32(x) - mean) / std` per channel into NCHW `out`; divides (a multiply by 1/std differs in the last bit). */
        fun normalize(image: Image, swap: Boolean, normalization: Normalization, out: FloatArray) {
            val plane = image.width * image.height
            for (c in 0 until 3) {
                val source = if (swap) 2 - c else c
                val mean = normalization.mean[c].toFloat()
                val std = normalization.std[c].toFloat()
                for (p in 0 until plane) {
                    out[c * plane + p] = ((image.pixels[p * 3 + source].toInt() and 0xFF).toFloat() - mean) / std
                }
            }
        }
    }
}

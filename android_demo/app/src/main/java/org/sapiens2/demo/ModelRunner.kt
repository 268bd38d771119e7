package org.sapiens2.demo

import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor
import org.sapiens2.core.BundleManifest
import org.sapiens2.core.InputTensor
import java.nio.ByteBuffer
import java.nio.FloatBuffer

/**
 * The bundle's ExecuTorch program (XNNPACK) with one input buffer allocated at load time and reused by
 * every call; outputs come back by the names the manifest lists, in its order.
 */
class ModelRunner(bundle: Bundle) : AutoCloseable {
    private val manifest: BundleManifest = bundle.manifest
    private val module: Module = Module.load(bundle.program.absolutePath)
    val input = InputTensor(manifest.input)
    private val pixelBuffer: ByteBuffer? = input.pixels?.let { Tensor.allocateByteBuffer(it.size) }
    private val floatBuffer: FloatBuffer? = input.floats?.let { Tensor.allocateFloatBuffer(it.size) }
    private val tensor: Tensor = pixelBuffer?.let { Tensor.fromBlobUnsigned(it, input.shape) }
        ?: Tensor.fromBlob(requireNotNull(floatBuffer), input.shape)

    /** Run on `input` (filled by the caller); returns each output tensor by manifest name. */
    fun run(): Map<String, Tensor> {
        pixelBuffer?.let { buffer -> buffer.rewind(); buffer.put(requireNotNull(input.pixels)) }
        floatBuffer?.let { buffer -> buffer.rewind(); buffer.put(requireNotNull(input.floats)) }
        val outputs = module.forward(EValue.from(tensor))
        return manifest.outputs.mapIndexed { i, spec -> spec.name to outputs[i].toTensor() }.toMap()
    }

    override fun close() = module.destroy()
}

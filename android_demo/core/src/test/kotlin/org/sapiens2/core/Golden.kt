package org.sapiens2.core

import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.io.File

/** The golden vectors the Python SDK writes (tests/golden), found through the `sapiens2.golden` property. */
object Golden {
    private val folder: File by lazy {
        File(requireNotNull(System.getProperty("sapiens2.golden")) { "set -Dsapiens2.golden=<repo>/tests/golden" })
    }

    fun case(file: String, name: String): JsonObject = JsonParser.parseString(File(folder, file).readText()).asJsonObject.getAsJsonObject(name)

    fun image(element: JsonElement): Image {
        val rows = element.asJsonArray
        val height = rows.size()
        val width = rows[0].asJsonArray.size()
        val image = Image(width, height)
        for (y in 0 until height) for (x in 0 until width) for (c in 0 until 3) {
            image.set(x, y, c, rows[y].asJsonArray[x].asJsonArray[c].asInt)
        }
        return image
    }

    /** Any nested array of numbers, flattened row-major, as float32 (the files hold float32 values exactly). */
    fun floats(element: JsonElement): FloatArray = flatten(element).map { it.toFloat() }.toFloatArray()

    /** Any nested array of numbers, flattened row-major, as double (for the float64 vectors: One-Euro, tracker). */
    fun doubles(element: JsonElement): DoubleArray = flatten(element).toDoubleArray()

    fun ints(element: JsonElement): IntArray = flatten(element).map { it.toInt() }.toIntArray()

    private fun flatten(element: JsonElement): List<Double> =
        if (element is JsonArray) element.flatMap { flatten(it) } else listOf(element.asDouble)
}

/** Largest absolute difference between two images' channel values. */
fun maxPixelDifference(a: Image, b: Image): Int {
    require(a.width == b.width && a.height == b.height) { "sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}" }
    return a.pixels.indices.maxOf { Math.abs((a.pixels[it].toInt() and 0xFF) - (b.pixels[it].toInt() and 0xFF)) }
}

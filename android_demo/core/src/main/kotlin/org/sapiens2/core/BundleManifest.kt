package org.sapiens2.core

import com.google.gson.JsonArray
import com.google.gson.JsonObject
import com.google.gson.JsonParser

/** `(x - mean) / std` per RGB channel; `inGraph` when the program does it on uint8 pixels. */
data class Normalization(val mean: List<Double>, val std: List<Double>, val inGraph: Boolean)

/** The program's input: shape, layout (NCHW or NHWC), channel order and how to fit an image to it. */
data class InputSpec(
    val name: String,
    val shape: List<Int>,
    val dtype: String,
    val layout: String,
    val colorOrder: String,
    val normalization: Normalization,
    val resizePolicy: String,
    val boxPadding: Float,
) {
    val height: Int get() = if (layout == "NHWC") shape[1] else shape[2]
    val width: Int get() = if (layout == "NHWC") shape[2] else shape[3]
}

data class OutputSpec(val name: String, val shape: List<Int>, val dtype: String, val meaning: String)

/** Keypoint names, colours and skeleton links for pose; class names and their palette for segmentation. */
data class Labels(
    val names: List<String>,
    val colorsRgb: List<IntArray>,
    val skeletonLinks: List<IntArray>,
    val skeletonLinkColorsRgb: List<IntArray>,
)

/**
 * The part of a bundle's `manifest.json` the app needs, so that nothing about the model is hard-coded:
 * the program file, its input contract, its outputs by name, the decoding and the label metadata.
 */
data class BundleManifest(
    val task: String,
    val target: String,
    val program: String,
    val input: InputSpec,
    val outputs: List<OutputSpec>,
    val decode: String,
    val heatmapWidth: Int?,
    val heatmapHeight: Int?,
    val labels: Labels,
    val randomWeights: Boolean,
) {
    fun output(name: String): OutputSpec? = outputs.firstOrNull { it.name == name }

    companion object {
        private val SUPPORTED_TASKS = setOf("pose", "seg")

        /** Parse `manifest.json` text; a bundle the app cannot drive fails here with what to compile instead. */
        fun parse(json: String): BundleManifest {
            val root = JsonParser.parseString(json).asJsonObject
            val task = root.get("task").asString
            require(task in SUPPORTED_TASKS) { "the demo shows pose and seg bundles, this one is '$task'" }
            val target = root.get("target").asString
            require(target == "executorch") { "compile the bundle with --target executorch (this one is '$target')" }
            val export = root.getAsJsonObject("export")
            val decoding = root.getAsJsonObject("decoding")
            val heatmapSize = decoding.getAsJsonArray("heatmap_size")?.let { ints(it) }  // (height, width)
            return BundleManifest(
                task = task,
                target = target,
                program = root.getAsJsonObject("runtime").getAsJsonObject("settings").get("program")?.asString ?: "model.pte",
                input = inputSpec(root.getAsJsonArray("inputs")[0].asJsonObject),
                outputs = root.getAsJsonArray("outputs").map { item ->
                    val o = item.asJsonObject
                    OutputSpec(o.get("name").asString, ints(o.getAsJsonArray("shape")), o.get("dtype").asString, o.get("meaning").asString)
                },
                decode = export.get("decode").asString,
                heatmapWidth = heatmapSize?.get(1),
                heatmapHeight = heatmapSize?.get(0),
                labels = labels(task, root.getAsJsonObject("labels")),
                randomWeights = root.get("random_weights")?.asBoolean ?: false,
            )
        }

        private fun inputSpec(o: JsonObject): InputSpec {
            val norm = o.getAsJsonObject("normalization")
            val resize = o.getAsJsonObject("resize")
            return InputSpec(
                name = o.get("name").asString,
                shape = ints(o.getAsJsonArray("shape")),
                dtype = o.get("dtype").asString,
                layout = o.get("layout").asString,
                colorOrder = o.get("color_order").asString,
                normalization = Normalization(doubles(norm.getAsJsonArray("mean")), doubles(norm.getAsJsonArray("std")), norm.get("in_graph").asBoolean),
                resizePolicy = resize.get("policy").asString,
                boxPadding = resize.get("box_padding")?.asFloat ?: TopdownCrop.BOX_PADDING,
            )
        }

        private fun labels(task: String, o: JsonObject?): Labels {
            requireNotNull(o) { "the bundle has no labels section: recompile it with a current sapiens2" }
            val names = o.getAsJsonArray("names").map { it.asString }
            val colors = requireNotNull(o.getAsJsonArray("colors_rgb")) { "the bundle's labels have no colours for its $task classes" }
            return Labels(
                names = names,
                colorsRgb = colors.map { ints(it.asJsonArray).toIntArray() },
                skeletonLinks = o.getAsJsonArray("skeleton_links")?.map { ints(it.asJsonArray).toIntArray() } ?: emptyList(),
                skeletonLinkColorsRgb = o.getAsJsonArray("skeleton_link_colors_rgb")?.map { ints(it.asJsonArray).toIntArray() } ?: emptyList(),
            )
        }

        private fun ints(a: JsonArray): List<Int> = a.map { it.asInt }
        private fun doubles(a: JsonArray): List<Double> = a.map { it.asDouble }
    }
}

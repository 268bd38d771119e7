package org.sapiens2.demo

import android.content.Context
import org.sapiens2.core.BundleManifest
import java.io.File

/** A compiled SDK bundle on the phone: its folder, its manifest and the program file the manifest names. */
class Bundle(val folder: File, val manifest: BundleManifest) {
    val program: File get() = File(folder, manifest.program)

    companion object {
        /** Bundles live in `files/bundles/<pose|seg>` (`adb push` puts them there) or ship in `assets/bundles/<task>`. */
        fun load(context: Context, task: String): Bundle {
            val folder = File(context.filesDir, "bundles/$task")
            if (!File(folder, "manifest.json").isFile) copyFromAssets(context, "bundles/$task", folder)
            val manifestFile = File(folder, "manifest.json")
            check(manifestFile.isFile) { "no $task bundle: push one to ${folder.path} (see android_demo/README.md)" }
            return Bundle(folder, BundleManifest.parse(manifestFile.readText()))
        }

        private fun copyFromAssets(context: Context, path: String, target: File) {
            val names = context.assets.list(path) ?: return
            if (names.isEmpty()) return
            target.mkdirs()
            for (name in names) {
                context.assets.open("$path/$name").use { input -> File(target, name).outputStream().use { input.copyTo(it) } }
            }
        }
    }
}

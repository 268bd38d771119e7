import XCTest
@testable import SapiensCore

/// A pose bundle's manifest as `sapiens2 compile --target coreml --decode beside` writes it (tiny random
/// model, labels cut to three keypoints, artifacts left out); tests/test_ios_demo.py checks that it
/// still holds every key the Swift structs read.
let poseManifestJSON = """
{
  "task": "pose",
  "arch": {
    "embed_dims": 64,
    "num_layers": 2,
    "num_heads": 4,
    "feedforward_channels": 256,
    "num_tokenizer_layers": 2
  },
  "source": {"kind": "random-weights", "path": null, "sha256": null, "seed": 0},
  "target": "coreml",
  "precision": "fp16",
  "runtime": {
    "name": "coreml",
    "version": "9.0",
    "settings": {
      "compute_units": "ALL",
      "compute_precision": "fp16",
      "minimum_deployment_target": "iOS17"
    }
  },
  "export": {
    "input_size": [64, 48],
    "attention": "sdpa",
    "tile_size": null,
    "window": null,
    "rope": "fp32 rotation with precomputed tables (official bf16-computed sin/cos values)",
    "in_graph_preprocess": true,
    "decode": "beside",
    "dynamic_batch": false,
    "opset": null,
    "graph_optimizer": false,
    "deconv": "native"
  },
  "inputs": [
    {
      "name": "image",
      "shape": [1, 64, 48, 3],
      "dtype": "uint8",
      "layout": "NHWC",
      "color_order": "RGB",
      "normalization": {"mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375], "in_graph": true},
      "resize": {
        "policy": "topdown_udp_crop",
        "box_padding": 1.25,
        "aspect_ratio_w_over_h": 0.75,
        "interpolation": "INTER_AREA when shrinking, else INTER_CUBIC (UDP affine warp)",
        "border_value": 0,
        "no_box": "whole image [0, 0, W-1, H-1]"
      }
    }
  ],
  "outputs": [
    {
      "name": "heatmaps",
      "shape": [1, 308, 16, 12],
      "dtype": "float32",
      "meaning": "308 keypoint heatmaps at 1/4 input resolution (raw, no activation); decode with UDP + DARK"
    },
    {
      "name": "keypoints",
      "shape": [1, 308, 2],
      "dtype": "float32",
      "meaning": "integer argmax peak (x, y) per keypoint in heatmap pixels; (-1, -1) where the max is <= 0"
    },
    {
      "name": "scores",
      "shape": [1, 308],
      "dtype": "float32",
      "meaning": "raw heatmap maximum per keypoint (no sigmoid)"
    }
  ],
  "decoding": {
    "codec": "UDP heatmap, argmax + DARK refinement",
    "input_size": [64, 48],
    "heatmap_size": [16, 12],
    "sigma": 6.0,
    "blur_kernel_size": 11,
    "flip_indices_source": "keypoints308.json",
    "dark_refinement": "outside the graph (sapiens2.processing.refine_dark_udp)"
  },
  "labels": {
    "source": "keypoints308.json",
    "names": ["nose", "left_eye", "right_eye"],
    "flip_indices": [0, 2, 1],
    "colors_rgb": [[51, 153, 255], [51, 153, 255], [51, 153, 255]],
    "skeleton_links": [[1, 2], [0, 1], [0, 2]],
    "skeleton_link_colors_rgb": [[51, 153, 255], [51, 153, 255], [51, 153, 255]]
  },
  "sdk_version": "0.1.0",
  "schema_version": 1,
  "random_weights": true
}
"""

final class ManifestTests: XCTestCase {
    private func decode(_ json: String) throws -> BundleManifest {
        try JSONDecoder().decode(BundleManifest.self, from: Data(json.utf8))
    }

    func testReadsTheModelContractFromTheManifest() throws {
        let manifest = try decode(poseManifestJSON)
        XCTAssertNoThrow(try manifest.checkForApp())
        XCTAssertEqual(manifest.task, ModelIO.poseTask)
        XCTAssertEqual([manifest.inputWidth, manifest.inputHeight], [48, 64])  // shape [1, 64, 48, 3]
        XCTAssertEqual(manifest.image.resize.boxPadding, 1.25)
        XCTAssertEqual(manifest.decoding.heatmapSize, [16, 12])
        XCTAssertEqual(manifest.decoding.blurKernelSize, 11)
        XCTAssertEqual(manifest.output(named: ModelIO.heatmaps)?.shape, [1, 308, 16, 12])
        XCTAssertEqual(manifest.labels?.skeletonLinks?.count, 3)
        XCTAssertEqual(manifest.runtime.settings.computeUnits, "ALL")
        XCTAssertTrue(manifest.randomWeights)
    }

    func testRefusesBundlesTheAppCannotRun() throws {
        let onnx = try decode(poseManifestJSON.replacingOccurrences(of: "\"target\": \"coreml\"", with: "\"target\": \"onnx\""))
        XCTAssertThrowsError(try onnx.checkForApp()) { error in
            XCTAssertEqual(error as? ManifestError, .wrongTarget("onnx"))
        }
        let normals = try decode(poseManifestJSON.replacingOccurrences(of: "\"task\": \"pose\"", with: "\"task\": \"normal\""))
        XCTAssertThrowsError(try normals.checkForApp()) { error in
            XCTAssertEqual(error as? ManifestError, .unsupportedTask("normal"))
        }
        let noPeaks = try decode(poseManifestJSON.replacingOccurrences(of: "\"name\": \"keypoints\"", with: "\"name\": \"peaks\""))
        XCTAssertThrowsError(try noPeaks.checkForApp()) { error in
            XCTAssertEqual(error as? ManifestError, .missingOutput(ModelIO.keypoints))
        }
        let floatInput = try decode(poseManifestJSON.replacingOccurrences(of: "\"in_graph\": true", with: "\"in_graph\": false"))
        XCTAssertThrowsError(try floatInput.checkForApp()) { error in
            XCTAssertEqual(error as? ManifestError, .notAnImageModel)
        }
    }
}

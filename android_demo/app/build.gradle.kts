plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.sapiens2.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.sapiens2.demo"
        minSdk = 26 // Android 8.0: CameraX 1.4 needs 21, the ExecuTorch AAR 23; 26 keeps java.nio/java.time simple
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += listOf("arm64-v8a", "x86_64") }
    }
    buildTypes {
        release { isMinifyEnabled = false }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    // .pte programs are memory-mapped by ExecuTorch: keep them uncompressed in the APK.
    androidResources { noCompress += "pte" }
}

dependencies {
    implementation(project(":core"))
    // The runtime matching the SDK's pinned executorch==1.5.1 (pyproject.toml); XNNPACK is built in.
    implementation("org.pytorch:executorch-android:1.5.1")
    implementation("com.facebook.fbjni:fbjni:0.5.1")
    implementation("com.facebook.soloader:soloader:0.10.5")
    implementation("androidx.activity:activity-ktx:1.9.3")
    implementation("androidx.core:core-ktx:1.15.0")
    val camerax = "1.4.1"
    implementation("androidx.camera:camera-core:$camerax")
    implementation("androidx.camera:camera-camera2:$camerax")
    implementation("androidx.camera:camera-lifecycle:$camerax")
    implementation("androidx.camera:camera-view:$camerax")
}

/**
 * `./gradlew :app:bundleIntoAssets -Pbundle=/path/to/bundle -Ptask=pose` copies a compiled SDK bundle into
 * the APK's assets (`assets/bundles/<task>`); the app copies it to its files on first start.
 */
tasks.register<Copy>("bundleIntoAssets") {
    val source = providers.gradleProperty("bundle")
    val task = providers.gradleProperty("task").orElse("pose")
    from(source) { include("manifest.json", "*.pte") }
    into(task.map { layout.projectDirectory.dir("src/main/assets/bundles/$it") })
    doFirst { require(source.isPresent) { "pass -Pbundle=<folder written by sapiens2 compile --target executorch>" } }
}

// The processing core: plain Kotlin/JVM, no Android imports, tested on the SDK's golden vectors.
plugins {
    id("org.jetbrains.kotlin.jvm")
}

kotlin { jvmToolchain(17) }

dependencies {
    implementation("com.google.code.gson:gson:2.10.1")
    testImplementation("junit:junit:4.13.2")
}

tasks.test {
    systemProperty("sapiens2.golden", rootDir.resolve("../tests/golden").absolutePath)
    systemProperty("sapiens2.data", rootDir.resolve("../sdk/data").absolutePath)
}

package org.sapiens2.core

import org.junit.runner.JUnitCore
import org.junit.runner.Request
import kotlin.system.exitProcess

/** Runs the given JUnit classes and ends with one plain `N passed, N failed` line that CI and pytest read. */
fun main(args: Array<String>) {
    val result = JUnitCore().run(Request.classes(*args.map { Class.forName(it) }.toTypedArray()))
    for (failure in result.failures) {
        println("FAILED ${failure.testHeader}: ${failure.message}")
    }
    println("${result.runCount - result.failureCount} passed, ${result.failureCount} failed")
    exitProcess(if (result.wasSuccessful()) 0 else 1)
}

package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test
import java.util.Random

class AssignmentTest {
    @Test fun beatsTheGreedyPairing() {
        // Greedy takes 0.9 first (total 1.0); the best pairing is the off-diagonal (total 1.6).
        assertArrayEquals(intArrayOf(1, 0), Assignment.maximize(arrayOf(doubleArrayOf(0.9, 0.8), doubleArrayOf(0.8, 0.1)), 2))
    }

    @Test fun rectangularLeavesTheExtraRowsOrColumnsOut() {
        assertArrayEquals(intArrayOf(-1, 0, 1), Assignment.maximize(arrayOf(doubleArrayOf(0.1, 0.2), doubleArrayOf(0.9, 0.3), doubleArrayOf(0.5, 0.6)), 2))
        assertArrayEquals(intArrayOf(2), Assignment.maximize(arrayOf(doubleArrayOf(0.1, 0.2, 0.7)), 3))
        assertArrayEquals(intArrayOf(), Assignment.maximize(arrayOf(), 3))
        assertArrayEquals(intArrayOf(-1, -1), Assignment.maximize(arrayOf(DoubleArray(0), DoubleArray(0)), 0))
    }

    @Test fun totalEqualsTheBestOfEveryPairing() {
        val random = Random(7)
        repeat(200) {
            val rows = 1 + random.nextInt(5)
            val columns = 1 + random.nextInt(5)
            val weights = Array(rows) { DoubleArray(columns) { random.nextDouble() } }
            val pairs = Assignment.maximize(weights, columns)
            assertEquals(minOf(rows, columns), pairs.count { it >= 0 })
            assertEquals(minOf(rows, columns), pairs.filter { it >= 0 }.toSet().size)
            val total = pairs.withIndex().filter { it.value >= 0 }.sumOf { weights[it.index][it.value] }
            assertEquals(bruteForceBest(weights, 0, BooleanArray(columns), minOf(rows, columns)), total, 1e-12)
        }
    }

    /** Best total over every way to pair `needed` more rows from `row` on with unused columns. */
    private fun bruteForceBest(weights: Array<DoubleArray>, row: Int, used: BooleanArray, needed: Int): Double {
        if (needed == 0) return 0.0
        if (weights.size - row < needed) return Double.NEGATIVE_INFINITY
        var best = bruteForceBest(weights, row + 1, used, needed)  // this row unpaired
        for (column in used.indices) {
            if (used[column]) continue
            used[column] = true
            best = maxOf(best, weights[row][column] + bruteForceBest(weights, row + 1, used, needed - 1))
            used[column] = false
        }
        return best
    }
}

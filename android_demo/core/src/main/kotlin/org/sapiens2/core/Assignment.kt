package org.sapiens2.core

/**
 * The exact maximum-weight assignment (the Hungarian method in its shortest-augmenting-path form with
 * row and column potentials, O(n^2 m)), written here because the core takes no numeric library. It
 * pairs as many rows as it can (min(rows, columns)) with the highest total weight, the problem
 * scipy's `linear_sum_assignment(maximize=True)` solves for the SDK's tracker.
 */
object Assignment {
    /** For each row of `weights` (rows x `columns`), its column, or -1 when it is left unpaired. */
    fun maximize(weights: Array<DoubleArray>, columns: Int): IntArray {
        val rows = weights.size
        if (rows == 0 || columns == 0) return IntArray(rows) { -1 }
        if (rows > columns) {
            val columnToRow = maximize(Array(columns) { c -> DoubleArray(rows) { r -> weights[r][c] } }, rows)
            val rowToColumn = IntArray(rows) { -1 }
            columnToRow.forEachIndexed { column, row -> if (row >= 0) rowToColumn[row] = column }
            return rowToColumn
        }
        // 1-based, with index 0 the virtual start column; the cost to minimise is -weight.
        val rowPotential = DoubleArray(rows + 1)
        val columnPotential = DoubleArray(columns + 1)
        val rowOfColumn = IntArray(columns + 1)
        val previousColumn = IntArray(columns + 1)
        for (row in 1..rows) {
            rowOfColumn[0] = row
            var column = 0
            val slack = DoubleArray(columns + 1) { Double.POSITIVE_INFINITY }
            val visited = BooleanArray(columns + 1)
            do {
                visited[column] = true
                val current = rowOfColumn[column]
                var delta = Double.POSITIVE_INFINITY
                var next = 0
                for (j in 1..columns) {
                    if (visited[j]) continue
                    val reduced = -weights[current - 1][j - 1] - rowPotential[current] - columnPotential[j]
                    if (reduced < slack[j]) {
                        slack[j] = reduced
                        previousColumn[j] = column
                    }
                    if (slack[j] < delta) {
                        delta = slack[j]
                        next = j
                    }
                }
                for (j in 0..columns) {
                    if (visited[j]) {
                        rowPotential[rowOfColumn[j]] += delta
                        columnPotential[j] -= delta
                    } else {
                        slack[j] -= delta
                    }
                }
                column = next
            } while (rowOfColumn[column] != 0)
            do {
                val before = previousColumn[column]
                rowOfColumn[column] = rowOfColumn[before]
                column = before
            } while (column != 0)
        }
        val rowToColumn = IntArray(rows) { -1 }
        for (j in 1..columns) if (rowOfColumn[j] != 0) rowToColumn[rowOfColumn[j] - 1] = j - 1
        return rowToColumn
    }
}

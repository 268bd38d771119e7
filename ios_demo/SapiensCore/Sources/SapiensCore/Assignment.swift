import Foundation

/// The exact maximum-weight assignment (the Hungarian method in its shortest-augmenting-path form with
/// row and column potentials, O(n^2 m)), written here because SapiensCore takes Foundation only. It
/// pairs as many rows as it can (min(rows, columns)) with the highest total weight, the problem
/// scipy's `linear_sum_assignment(maximize=True)` solves for the SDK's tracker.
public enum Assignment {
    /// For each row of `weights` (rows x `columns`), its column, or nil when it is left unpaired.
    public static func maximize(_ weights: [[Double]], columns: Int) -> [Int?] {
        let rows = weights.count
        if rows == 0 || columns == 0 {
            return Array(repeating: nil, count: rows)
        }
        if rows > columns {
            let transposed = (0..<columns).map { column in weights.map { $0[column] } }
            var rowToColumn = [Int?](repeating: nil, count: rows)
            for (column, row) in maximize(transposed, columns: rows).enumerated() {
                if let row {
                    rowToColumn[row] = column
                }
            }
            return rowToColumn
        }
        // 1-based, with index 0 the virtual start column; the cost to minimise is -weight.
        var rowPotential = [Double](repeating: 0, count: rows + 1)
        var columnPotential = [Double](repeating: 0, count: columns + 1)
        var rowOfColumn = [Int](repeating: 0, count: columns + 1)
        var previousColumn = [Int](repeating: 0, count: columns + 1)
        for row in 1...rows {
            rowOfColumn[0] = row
            var column = 0
            var slack = [Double](repeating: .infinity, count: columns + 1)
            var visited = [Bool](repeating: false, count: columns + 1)
            repeat {
                visited[column] = true
                let current = rowOfColumn[column]
                var delta = Double.infinity
                var next = 0
                for j in 1...columns where !visited[j] {
                    let reduced = -weights[current - 1][j - 1] - rowPotential[current] - columnPotential[j]
                    if reduced < slack[j] {
                        slack[j] = reduced
                        previousColumn[j] = column
                    }
                    if slack[j] < delta {
                        delta = slack[j]
                        next = j
                    }
                }
                for j in 0...columns {
                    if visited[j] {
                        rowPotential[rowOfColumn[j]] += delta
                        columnPotential[j] -= delta
                    } else {
                        slack[j] -= delta
                    }
                }
                column = next
            } while rowOfColumn[column] != 0
            repeat {
                let before = previousColumn[column]
                rowOfColumn[column] = rowOfColumn[before]
                column = before
            } while column != 0
        }
        var rowToColumn = [Int?](repeating: nil, count: rows)
        for j in 1...columns where rowOfColumn[j] != 0 {
            rowToColumn[rowOfColumn[j] - 1] = j - 1
        }
        return rowToColumn
    }
}

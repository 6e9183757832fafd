import Foundation
import Testing
import TestSupport
@testable import Registry

/// The thin SQLite layer under the registry.
@Suite struct SQLiteConnectionTests {
    private func scratch() throws -> SQLiteConnection {
        let url = try Fixtures.temporaryDirectory("lorad-sqlite").appendingPathComponent("t.sqlite3")
        let db = try SQLiteConnection(path: url.path)
        try db.configure(synchronous: .normal, busyTimeoutMilliseconds: 100)
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n ANY) STRICT;")
        return db
    }

    @Test func typedValuesRoundTrip() throws {
        let db = try scratch()
        let blob = Data([0, 1, 2, 255, 0])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                   [.integer(Int64.min), .real(-0.125), .text("naïve 名前 🙂"), .blob(blob), .null])
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                   [.integer(Int64.max), .real(1e300), .text(""), .blob(Data()), .zeroBlob(3)])
        let rows = try db.query("SELECT i, r, s, b, n, n IS NULL FROM t ORDER BY rowid") { row in
            (row.int64(0), row.double(1), row.text(2), row.blob(3), row.blob(4), row.int64(5))
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == Int64.min && rows[0].1 == -0.125 && rows[0].2 == "naïve 名前 🙂")
        #expect(rows[0].3 == blob && rows[0].4 == nil && rows[0].5 == 1)
        #expect(rows[1].0 == Int64.max && rows[1].1 == 1e300 && rows[1].2 == "")
        #expect(rows[1].3 == Data() && rows[1].4 == Data(count: 3) && rows[1].5 == 0)
    }

    @Test func wrongParameterCountIsRefused() throws {
        let db = try scratch()
        let error = try #require(throws: SQLiteError.self) { try db.run("INSERT INTO t (i) VALUES (?)", []) }
        #expect(error.primaryCode == 25)  // SQLITE_RANGE
        #expect(error.message.contains("1 parameters, 0 values"))
    }

    @Test func twoStatementsInOnePrepareAreRefused() throws {
        let db = try scratch()
        #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t (i) VALUES (1); DROP TABLE t") }
        #expect(try db.queryFirst("SELECT count(*) FROM t") { $0.int64(0) } == 0)
    }

    @Test func transactionCommitsOrRollsBackAsAUnit() throws {
        let db = try scratch()
        try db.transaction {
            try db.run("INSERT INTO t (i) VALUES (?)", [.integer(1)])
            try db.run("INSERT INTO t (i) VALUES (?)", [.integer(2)])
        }
        #expect(throws: InjectedFailure(atChunk: 0)) {
            try db.transaction {
                try db.run("INSERT INTO t (i) VALUES (?)", [.integer(3)])
                throw InjectedFailure(atChunk: 0)
            }
        }
        #expect(db.isAutocommit)
        #expect(try db.query("SELECT i FROM t ORDER BY i") { $0.int64(0) } == [1, 2])
    }

    @Test func nestedTransactionIsAMisuseError() throws {
        let db = try scratch()
        let error = try #require(throws: SQLiteError.self) {
            try db.transaction { try db.transaction { } }
        }
        #expect(error.primaryCode == 21)  // SQLITE_MISUSE
        #expect(db.isAutocommit)
    }

    @Test func blobIOStaysInsideTheBlob() throws {
        let db = try scratch()
        try db.run("INSERT INTO t (b) VALUES (?)", [.zeroBlob(10)])
        let blob = try db.openBlob(table: "t", column: "b", rowid: db.lastInsertRowID, writable: true)
        #expect(blob.byteCount == 10)
        try [UInt8](1...4).withUnsafeBytes { try blob.write($0, at: 6) }
        #expect(throws: SQLiteError.self) {
            try [UInt8](1...4).withUnsafeBytes { try blob.write($0, at: 7) }
        }
        var back = [UInt8](repeating: 9, count: 10)
        try back.withUnsafeMutableBytes { try blob.read(into: $0, at: 0) }
        #expect(back == [0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
        try blob.close()
        #expect(throws: SQLiteError.self) {
            try back.withUnsafeMutableBytes { try blob.read(into: $0, at: 0) }
        }
    }

    @Test func closedConnectionThrowsInsteadOfCrashing() throws {
        let db = try scratch()
        db.close()
        #expect(throws: SQLiteError.self) { try db.run("SELECT 1") }
        #expect(throws: SQLiteError.self) { try db.execute("SELECT 1") }
    }

    @Test func integrityCheckSaysOk() throws {
        #expect(try scratch().integrityCheck() == "ok")
    }
}

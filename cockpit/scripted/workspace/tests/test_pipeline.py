"""Tests for pipeline.py: validation, atomic loads, and the summary transform."""

import sqlite3
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pipeline  # noqa: E402

HEADER = "order_id,cust_id,order_date,sku,qty,unit_price,currency,channel\n"


class PipelineTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.landing = root / "landing"
        self.landing.mkdir()
        self.db = root / "warehouse.db"
        self._log = pipeline.LOG
        pipeline.LOG = root / "logs" / "ingest.log"

    def tearDown(self):
        pipeline.LOG = self._log
        self.tmp.cleanup()

    def drop(self, name, body, header=HEADER):
        path = self.landing / name
        path.write_text(header + body, encoding="utf-8")
        return path

    def query(self, sql):
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


class ValidationTest(PipelineTestCase):
    def test_valid_file_parses(self):
        path = self.drop("orders_a.csv", "O-1,C-1,2025-04-10,SKU-1,2,10.00,EUR,web\n")
        rows = pipeline.read_rows(path)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["cust_id"], "C-1")

    def test_extra_field_is_reported_with_row_number(self):
        path = self.drop(
            "orders_b.csv",
            "O-1,C-1,2025-04-10,SKU-1,2,10.00,EUR,web\nO-2,C-2,2025-04-10,SKU-1,1,10.00,EUR,web,x\n",
        )
        with self.assertRaises(pipeline.ValidationError) as ctx:
            pipeline.read_rows(path)
        self.assertIn("row 2 (line 3) has 9 fields, expected 8", str(ctx.exception))

    def test_unknown_column_is_rejected(self):
        path = self.drop("orders_c.csv", "O-1,C-1,2025-04-10,SKU-1,2,10.00,EUR,web\n",
                         header=HEADER.replace("sku", "product"))
        with self.assertRaises(pipeline.ValidationError) as ctx:
            pipeline.read_rows(path)
        self.assertIn("missing: sku", str(ctx.exception))


class RunTest(PipelineTestCase):
    def test_run_loads_and_builds_summaries(self):
        self.drop("orders_a.csv", "O-1,C-1,2025-04-10,SKU-1,2,10.00,EUR,web\n"
                                  "O-2,C-2,2025-04-10,SKU-2,1,5.50,EUR,store\n")
        self.assertEqual(pipeline.run(self.db, self.landing), 0)
        self.assertEqual(self.query("SELECT COUNT(*) FROM orders"), [(2,)])
        self.assertEqual(self.query("SELECT SUM(revenue) FROM daily_summary"), [(25.5,)])
        self.assertEqual(self.query("SELECT COUNT(*) FROM customer_summary"), [(2,)])

    def test_run_is_atomic_when_a_file_is_malformed(self):
        self.drop("orders_a.csv", "O-1,C-1,2025-04-10,SKU-1,2,10.00,EUR,web\n")
        self.drop("orders_b.csv", "O-2,C-2,2025-04-10,SKU-1,1,10.00,EUR,web,extra\n")
        self.assertEqual(pipeline.run(self.db, self.landing), 1)
        self.assertEqual(self.query("SELECT COUNT(*) FROM orders"), [(0,)])

    def test_rerun_skips_loaded_files(self):
        self.drop("orders_a.csv", "O-1,C-1,2025-04-10,SKU-1,2,10.00,EUR,web\n")
        self.assertEqual(pipeline.run(self.db, self.landing), 0)
        self.assertEqual(pipeline.run(self.db, self.landing), 0)
        self.assertEqual(self.query("SELECT COUNT(*) FROM orders"), [(1,)])


if __name__ == "__main__":
    unittest.main()

"""The benchmark scripts' helpers (timing, error checks, tables, charts, JSON): they live in the
package, :mod:`sigconv._harness`, which ``sigconv bench`` and the demo use too. A script in
``benches/`` imports them as ``import _harness``."""

from sigconv._harness import (  # noqa: F401
    Timing,
    bar_chart,
    environment,
    errors,
    fmt_err,
    fmt_ms,
    fmt_ratio,
    measure,
    optional_import,
    print_environment,
    print_table,
    record,
    report_failures,
    save_json,
    skipped,
)

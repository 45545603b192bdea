"""`posture drill` against randomised scripted sessions (`posture.drills.synth`, pose-track
level: no rendering, no pose model): share of sessions with the exact rep count, peak and
hold errors, and whether each scripted fault was flagged (and no fault on clean reps).

    python benchmarks/drill_accuracy.py [--n 200] [--seed 0]

Targets (issue 14): exact count on >= 95 % of sessions, peak error <= 5 deg, hold within
0.2 s, every fault flagged, none on clean reps.
"""

from __future__ import annotations

import argparse

import numpy as np

from posture.drills import load_drills
from posture.drills.analysis import analyse_drill
from posture.drills.synth import DrillScript, drill_track

#: exercise -> (clean peak range, fault kind, how the fault is scripted)
_FAULTS = {
    "mini_crunch": ((35.0, 55.0), "full_sit_up", {"peak": (75.0, 100.0)}),
    "lying_leg_raise": ((80.0, 100.0), "knees_straight", {"knee_deg": (110.0, 150.0)}),
    "prone_back_extension": ((20.0, 40.0), "hold_at_top", {"plateau": (0.0, 0.4)}),
}


def _script(rng: np.random.Generator, book, exercise: str) -> tuple[DrillScript, bool]:  # type: ignore[no-untyped-def]
    ex = book.find(exercise)
    (lo, hi), _, how = _FAULTS[exercise]
    faulty = bool(rng.random() < 0.3)
    n = int(rng.integers(3, 12))
    peaks = rng.uniform(lo, hi, n)
    plateau = (
        rng.uniform(0.9, 1.5, n) if exercise == "prone_back_extension" else rng.uniform(0, 0.3, n)
    )
    knee = None
    if faulty and "peak" in how:
        peaks = rng.uniform(*how["peak"], n)
    if faulty and "plateau" in how:
        plateau = rng.uniform(*how["plateau"], n)
    if faulty and "knee_deg" in how:
        knee = float(rng.uniform(*how["knee_deg"]))
    script = DrillScript(
        ex, peaks_deg=tuple(peaks), plateau_s=tuple(plateau), knee_deg=knee,
        head_right=bool(rng.random() < 0.5), rise_s=float(rng.uniform(0.5, 1.2)),
        rest_s=float(rng.uniform(0.5, 1.5)), fps=float(rng.choice([25.0, 30.0, 60.0])),
        noise_px=float(rng.uniform(0.3, 1.5)), seed=int(rng.integers(1 << 30)),
    )  # fmt: skip
    return script, faulty


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    book = load_drills()
    exact, peak_err, hold_err, flagged, clean_ok, n_faulty, n_clean = 0, [], [], 0, 0, 0, 0
    for i in range(args.n):
        exercise = list(_FAULTS)[i % 3]
        script, faulty = _script(rng, book, exercise)
        track, truth = drill_track(script)
        result = analyse_drill(track, script.exercise, book.settings)
        exact += len(result.reps) == len(truth)
        if len(result.reps) == len(truth):
            for rep, true in zip(result.reps, truth, strict=True):
                peak_err.append(abs(rep.cycle.peak_deg - true["peak_deg"]))
                hold_err.append(abs(rep.cycle.hold_s - true["hold_s"]))
        fault = _FAULTS[exercise][1]
        for j, rep in enumerate(result.reps):
            # the truth of a hold is the scripted time near the peak, not the script's intent
            if exercise == "prone_back_extension" and j < len(truth):
                faulty = truth[j]["hold_s"] < 0.8
            if faulty:
                n_faulty += 1
                flagged += fault in rep.faults
            else:
                n_clean += 1
                clean_ok += rep.faults == ()
    pe, he = np.array(peak_err), np.array(hold_err)
    print(f"sessions: {args.n}; exact rep count: {exact / args.n:.1%}")
    print(f"peak error deg: median {np.median(pe):.2f}, p95 {np.percentile(pe, 95):.2f}, "
          f"max {pe.max():.2f}")  # fmt: skip
    print(f"hold error s: median {np.median(he):.3f}, p95 {np.percentile(he, 95):.3f}, "
          f"max {he.max():.3f}")  # fmt: skip
    print(f"faulty reps flagged: {flagged}/{n_faulty}; clean reps without a fault: "
          f"{clean_ok}/{n_clean}")  # fmt: skip


if __name__ == "__main__":
    main()

#!/bin/sh
# A stand-in agent for trying the supervisor/engineer loops offline (no API key, no network).
# It reads its prompt on stdin like a real agent would, then acts by role:
#   galph (supervisor): appends an instruction to input.md (committed by the docs policy);
#   ralph (engineer):   does the "work" in work/ and commits it itself.
set -e
cat > /dev/null   # the prompt
case "$RALPH_ACTOR" in
  galph)
    echo "- iteration $RALPH_ITERATION: add work/step-$RALPH_ITERATION.txt" >> input.md
    echo "FINDINGS: asked the engineer for step $RALPH_ITERATION"
    ;;
  ralph)
    mkdir -p work
    echo "step $RALPH_ITERATION done" > "work/step-$RALPH_ITERATION.txt"
    git add work
    git commit --quiet -m "step $RALPH_ITERATION"
    echo "FINDINGS: added work/step-$RALPH_ITERATION.txt"
    ;;
  *)
    echo "RALPH_ACTOR is not set: run me through ralph supervisor or ralph loop" >&2
    exit 2
    ;;
esac

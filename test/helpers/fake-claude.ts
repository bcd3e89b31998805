// A scripted stand-in for the Claude Code CLI (real processes, no network), for end-to-end tests of
// the agent layer: budgets, cost sums, reported errors, usage limits.

/**
 * A stand-in for `claude -p --output-format stream-json --verbose`: reads the prompt on stdin, checks
 * its arguments, prints init/assistant/result events. $MODE picks the outcome; $COST the cost per run.
 */
export const FAKE_CLAUDE = String.raw`
case " $* " in *" -p "*) ;; *) echo "missing -p: $*" >&2; exit 64 ;; esac
case " $* " in *" --output-format stream-json "*) ;; *) echo "missing stream-json: $*" >&2; exit 64 ;; esac
prompt=$(cat)
echo "$RALPH_TASK_ID" >> "$REC"
[ -n "$STARTS" ] && echo "$RALPH_TASK_ID $(date +%s%3N)" >> "$STARTS"
printf '{"type":"system","subtype":"init","session_id":"s-%s","model":"fake-model","tools":["Bash"]}\n' "$RALPH_TASK_ID"
printf '{"type":"assistant","message":{"model":"fake-model","role":"assistant","content":[{"type":"text","text":"working on %s"}]},"session_id":"s-%s"}\n' "$RALPH_TASK_ID" "$RALPH_TASK_ID"
mode=$MODE
if [ "$mode" = limit-once ]; then
  # mkdir is atomic: exactly one run (of two starting together) gets the limit.
  if mkdir "$LIMITED" 2>/dev/null; then mode=limit; else mode=ok; fi
fi
case $mode in
  ok) printf '{"type":"result","subtype":"success","is_error":false,"result":"did %s\\n\\nFINDINGS: finished %s","total_cost_usd":%s,"usage":{"input_tokens":100,"output_tokens":20,"cache_read_input_tokens":5,"cache_creation_input_tokens":7},"session_id":"s-%s","num_turns":2}\n' "$RALPH_TASK_ID" "$RALPH_TASK_ID" "$COST" "$RALPH_TASK_ID" ;;
  error) printf '{"type":"result","subtype":"success","is_error":true,"result":"Invalid API key · Please run /login","total_cost_usd":0,"session_id":"s-%s"}\n' "$RALPH_TASK_ID" ;;
  limit-notime) printf '{"type":"result","subtype":"success","is_error":true,"result":"Claude AI usage limit reached","total_cost_usd":0.001,"session_id":"s-%s"}\n' "$RALPH_TASK_ID" ;;
  limit) printf '{"type":"result","subtype":"success","is_error":true,"result":"Claude AI usage limit reached|%s","total_cost_usd":0,"session_id":"s-%s"}\n' "$(( $(date +%s) + 3 ))" "$RALPH_TASK_ID" ;;
esac
`;

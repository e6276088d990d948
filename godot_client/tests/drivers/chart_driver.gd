extends Node
## Checks that the loss chart follows the step counter (added by studio_driver.gd):
##   -- --chart-check
## Once the run's history is in, it pauses training, runs Step ×10 and waits until the status
## shows the step; then it resumes, resets the run while it trains and waits for the new run's
## curve. Each time it notes the step the readouts show and the steps the chart's curve spans
## ([method report]). The requests go out as the training controls send them.

## How long a result may take to show once the backend reported it (a loaded machine is slow).
const SETTLE_S: float = 1.5

var finished: bool = false

var _report: Dictionary = {}


func _ready() -> void:
	_run.call_deferred()


func report() -> Dictionary:
	return _report


func _run() -> void:
	await _until(_history_in)
	if StudioSession.is_training():
		StudioSession.send("train.pause")
		await _until(func() -> bool: return not StudioSession.is_training())
	var before: int = int(StudioSession.status.get("step", 0))
	StudioSession.send("train.step", {"n": 10})
	await _until(func() -> bool: return int(StudioSession.status.get("step", 0)) >= before + 10)
	await _seconds(SETTLE_S)
	_report["after_steps"] = _snapshot()
	_report["after_steps"]["expected_step"] = before + 10
	StudioSession.send("train.start")
	await _until(StudioSession.is_training)
	var old_run: String = str(StudioSession.status.get("run", ""))
	StudioSession.send("train.reset")
	await _until(func() -> bool: return str(StudioSession.status.get("run", "")) != old_run)
	await _until(_history_in)
	await _seconds(SETTLE_S)
	_report["after_reset"] = _snapshot()
	finished = true


## What the step counter and the chart show now.
func _snapshot() -> Dictionary:
	var history: StudioMetrics = StudioSession.metrics_history
	var steps: PackedFloat64Array = history.steps_of("recon")
	return {
		"run": history.run,
		"status_step": int(StudioSession.status.get("step", -1)),
		"readout_step": int(StudioSession.metrics.get("step", -1)),
		"chart_first": int(steps[0]) if not steps.is_empty() else -1,
		"chart_last": int(steps[-1]) if not steps.is_empty() else -1,
		"chart_points": steps.size(),
		"history_last_step": history.history_last_step,
	}


func _history_in() -> bool:
	var history: StudioMetrics = StudioSession.metrics_history
	return (
		not history.run.is_empty()
		and history.history_run == history.run
		and history.has_series("recon")
	)


func _until(condition: Callable) -> void:
	while not condition.call():
		await get_tree().process_frame


func _seconds(seconds: float) -> void:
	await get_tree().create_timer(seconds).timeout

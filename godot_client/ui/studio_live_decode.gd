class_name StudioLiveDecode
extends RefCounted
## When a picture decoded from the live model (the inspector's image, the pins) is out of date.
## It remembers the model the picture was last asked of (run and step) and over which connection;
## [method due] then says to decode it again: at most every [constant INTERVAL_MS] while the model
## trains (so at least twice a second while replies take under 200 ms), at once when the steps
## stopped moving (the last steps before a pause, a Step ×10), and at once after a run change or
## a reconnect. Nothing is due while the model stays as it was, so a paused run costs nothing.

## The shortest time between two decodes of the same picture while the model trains.
const INTERVAL_MS: int = 300

var _run: String = ""
var _step: int = -1
var _link: int = -1
var _sent_ms: int = 0


## True when a decode of the model at `run` and `step` over connection number `link` would show
## something newer than the last one asked for, and it may go out at `now_ms`. `training`: the
## model is training now (its step moves by itself).
func due(run: String, step: int, link: int, training: bool, now_ms: int) -> bool:
	if run == _run and step == _step and link == _link:
		return false
	if training and run == _run and link == _link:
		return now_ms - _sent_ms >= INTERVAL_MS
	return true


## A decode of the model at `run` and `step` over connection `link` went out at `now_ms`.
func sent(run: String, step: int, link: int, now_ms: int) -> void:
	_run = run
	_step = step
	_link = link
	_sent_ms = now_ms

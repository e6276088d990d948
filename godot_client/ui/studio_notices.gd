class_name StudioNotices
extends RefCounted
## What the Studio has to tell the user now, beside the panel they look at (kept by the session,
## [member StudioSession.notices]; the [StudioNotice] bar shows the newest): a request that
## failed, or a different run after a restart with an offer to load the old one. Each notice has
## a key, so a newer one of the same kind replaces it and the thing that made it untrue clears it
## (the same op succeeding, the old run coming back); the rest expire after a while.

## The notices changed: one posted, cleared or expired.
signal changed

## A failed request's notice stays this long unless the same op succeeds first.
const ERROR_TTL_S: float = 15.0
## At most this many notices are kept (the oldest go first).
const MAX_NOTICES: int = 8
## What each op does, in words, for "<what> failed: <why>" (messages never name the op). An op
## not listed reads "A request to the backend".
const OP_TITLES: Dictionary = {
	"config.set": "Changing a training setting",
	"train.start": "Starting training",
	"train.pause": "Pausing training",
	"train.step": "Stepping the training",
	"train.reset": "Resetting the run",
	"run.new": "Starting a new run",
	"run.load": "Loading a run",
	"run.save": "Saving the run",
	"run.list": "Listing the saved runs",
	"run.export": "Exporting a run",
	"run.delete": "Deleting a run",
	"run.fetch": "Fetching a run's file",
	"model.list": "Listing the models",
	"model.check": "Checking the model",
	"data.list": "Listing the data sets",
	"data.browse": "Browsing the data folders",
	"data.get": "Fetching data rows",
	"decode": "Decoding a point",
	"encode": "Encoding data rows",
	"sample": "Sampling",
	"latent.view": "Changing the latent view",
	"metrics.history": "Fetching the loss history",
	"eval": "Evaluating the run",
	"trace": "Tracing a row",
	"status": "Asking for the status",
	"cancel": "Cancelling a request",
	"hello": "Greeting the backend",
	"style": "Drawing a style in every class",
	"analogy": "Making the analogy",
	"attribute": "Finding the attribute's direction",
	"denoise": "Denoising",
	"anomaly": "Scoring the anomalies",
	"compress": "Compressing",
	"features": "Measuring the latent features",
	"generation": "Measuring the samples' quality",
}

## Oldest first; each {"key", "text", "level" ("error", "warning" or "info"), "action" (a
## button's text, "" for none), "on_action" (Callable), "expires_ms" (0: until cleared),
## "count" (how many times it was posted in a row)}.
var items: Array[Dictionary] = []


## "Changing a training setting failed: <why>." `why` is a sentence such as
## [method StudioSession.describe_failure] gives.
static func request_text(op: String, why: String) -> String:
	var what: String = str(OP_TITLES.get(op, "A request to the backend"))
	return "%s failed: %s" % [what, why.strip_edges().trim_suffix(".") + "."]


## Posts (or replaces, by `key`) a notice, newest last. `ttl_s` 0 keeps it until it is cleared;
## `action` names a button that runs `on_action` and then clears the notice.
func post(
	key: String,
	text: String,
	level: String = "error",
	ttl_s: float = ERROR_TTL_S,
	action: String = "",
	on_action: Callable = Callable()
) -> void:
	var count: int = 1
	var at: int = _find(key)
	if at >= 0:
		if items[at]["text"] == text:
			count = int(items[at]["count"]) + 1
		items.remove_at(at)
	var expires: int = 0 if ttl_s <= 0.0 else Time.get_ticks_msec() + int(ttl_s * 1000.0)
	(
		items
		. append(
			{
				"key": key,
				"text": text,
				"level": level,
				"action": action,
				"on_action": on_action,
				"expires_ms": expires,
				"count": count,
			}
		)
	)
	while items.size() > MAX_NOTICES:
		items.pop_front()
	changed.emit()


## Drops the notice of `key`; nothing when there is none.
func clear(key: String) -> void:
	var at: int = _find(key)
	if at >= 0:
		items.remove_at(at)
		changed.emit()


func has(key: String) -> bool:
	return _find(key) >= 0


## The notice of `key` ({} when there is none).
func get_notice(key: String) -> Dictionary:
	var at: int = _find(key)
	return items[at] if at >= 0 else {}


## The newest notice ({} when there is none): the one the bar shows.
func newest() -> Dictionary:
	return {} if items.is_empty() else items[-1]


func size() -> int:
	return items.size()


## Runs the action of the notice of `key` and clears it. False when it has none.
func act(key: String) -> bool:
	var notice: Dictionary = get_notice(key)
	var on_action: Variant = notice.get("on_action")
	if not on_action is Callable or not (on_action as Callable).is_valid():
		return false
	clear(key)
	(on_action as Callable).call()
	return true


## Drops the notices whose time is up at `now_ms`.
func expire(now_ms: int = Time.get_ticks_msec()) -> void:
	var kept: Array[Dictionary] = items.filter(
		func(n: Dictionary) -> bool: return int(n["expires_ms"]) == 0 or now_ms < n["expires_ms"]
	)
	if kept.size() != items.size():
		items = kept
		changed.emit()


func _find(key: String) -> int:
	for i in items.size():
		if items[i]["key"] == key:
			return i
	return -1

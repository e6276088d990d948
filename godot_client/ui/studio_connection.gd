class_name StudioConnection
extends RefCounted
## What the Studio does about its link to the backend (the session calls it on every connection
## change and status): while there is none it says why ([method problem], for the waiting
## overlay); when the backend goes away and comes back it writes the loss and the reconnect into
## the Log, and puts back what the user had:
## - the run: a backend that came back with another run (restarted without --resume, say) is
##   named in the Log, and the notice bar offers "Load <old run>" when `run.list` holds a
##   checkpoint of it (it comes back paused, as `run.load` and `serve --resume` leave a run);
## - the loss history: the session asks `metrics.history` again on every connect; a run that came
##   back at an earlier step (a kill -9 after an autosave) starts its curve over;
## - the latent view: projection and colour are sent again (`latent.view`) when the backend's
##   differ, as far as they fit its latent width; zoom and pan never leave the view;
## - the pins live in [member StudioSession.pins] and the pins panel decodes them again with the
##   next latent frame.

## The key of the notice that offers to load the old run.
const OFFER_KEY: String = "run_came_back"

## The run whose loading the notice offers ("" when none is offered).
var offered_run: String = ""
## Whether the control endpoint answered a request while the Studio waits for the backend (a
## backend that answers requests but publishes no streams points at a wrong `--stream`).
var control_answers: bool = false
## Whether the link was ever up (a first connect is no reconnect).
var ever_connected: bool = false

## Whether the link is up now.
var _up: bool = false
## The first status after a reconnect is still to come.
var _restoring: bool = false
## Endpoints were changed by hand: the next connect is to another backend, not a comeback.
var _switching: bool = false
## What the user had when the link was lost: {"run", "step"} ({} before a loss).
var _lost: Dictionary = {}
## The latent view to put back ({} when there is none to restore).
var _view: Dictionary = {}


## The session's link went up or down.
func on_connection_changed(connected: bool) -> void:
	if connected == _up:
		return
	_up = connected
	control_answers = false
	if not connected:
		if _switching:
			return
		_lost = {
			"run": str(StudioSession.status.get("run", "")),
			"step": _newest_step(),
		}
		_view = StudioSession.latent_view.duplicate(true)
		var at: String = (
			" Run %s was at step %d." % [_lost["run"], _lost["step"]]
			if not str(_lost["run"]).is_empty()
			else ""
		)
		StudioSession.note(
			"warning",
			"disconnected",
			(
				"Lost the backend at %s; reconnecting by itself.%s"
				% [StudioSession.control_endpoint(), at]
			)
		)
		return
	if _switching or not ever_connected:
		_switching = false
		_lost = {}
		_view = {}
		StudioSession.note(
			"info", "connected", "Connected to %s." % StudioSession.control_endpoint()
		)
	else:
		_restoring = true
		StudioSession.note(
			"info", "reconnected", "Reconnected to %s." % StudioSession.control_endpoint()
		)
	ever_connected = true


## The endpoints were changed by hand (the connect dialog): the next backend is another one, so
## nothing is compared with or restored from this one.
func on_endpoints_changed() -> void:
	_switching = true
	control_answers = false
	_restoring = false
	StudioSession.note(
		"info",
		"endpoints",
		(
			"Connecting to %s (control) and %s (streams)."
			% [StudioSession.control_endpoint(), StudioSession.stream_endpoint()]
		)
	)


## A sentence on why the backend is not there, for the waiting overlay. It names the control
## endpoint (where requests go): the client's own last error may name the stream endpoint.
func problem() -> String:
	var client: VaeStudioClient = StudioSession.client
	if client == null:
		return "No client attached."
	var control: String = StudioSession.control_endpoint()
	var why: String = client.last_error()
	if client.is_refused():
		return "Refused: %s. Check the token under Change endpoints…" % why
	var retry: String = ""
	var found: RegExMatch = RegEx.create_from_string("retrying in ([0-9.]+) s").search(why)
	if found != null:
		retry = " Retrying in %s s." % found.get_string(1)
	if control_answers:
		return (
			(
				"The backend answers at %s (control), but nothing is published at %s (streams):"
				% [control, StudioSession.stream_endpoint()]
			)
			+ " check --stream.%s" % retry
		)
	if why.is_empty() or why.begins_with("connecting to") or why.contains("no backend at"):
		return "Nothing answers at %s (control) yet.%s" % [control, retry]
	return "Cannot reach the backend at %s (control): %s" % [control, why]


## Sends a cheap request while disconnected to learn whether the control endpoint alone answers;
## the overlay calls it on its refresh timer. Nothing goes out while the control link is down.
func probe_control() -> void:
	var client: VaeStudioClient = StudioSession.client
	if client == null or StudioSession.connected:
		control_answers = false
		return
	var request: VaeStudioRequest = client.request("hello", {"client": "vaestudio-godot"})
	request.finished.connect(
		func(_reply: Dictionary) -> void: control_answers = request.is_ok(), CONNECT_ONE_SHOT
	)


## The user chose a latent view: a view still to be put back takes the new choice in.
func on_view_chosen(args: Dictionary) -> void:
	if not _view.is_empty():
		_view.merge(args, true)


## A status arrived (stream or reply), already in [member StudioSession.status].
func on_status(status: Dictionary) -> void:
	var run: String = str(status.get("run", ""))
	if _restoring:
		_restoring = false
		_after_reconnect(status)
	elif not offered_run.is_empty() and run == offered_run:
		offered_run = ""
		StudioSession.notices.clear(OFFER_KEY)
		StudioSession.note(
			"info",
			"run_restored",
			(
				"Run %s is live again at step %d (%s)."
				% [run, int(status.get("step", 0)), str(status.get("state", ""))]
			)
		)
		_put_view_back(status)
		_view = {}


## A view that fits a latent width of `width` ({} when its dimensions or colour do not).
static func fitting_view(view: Dictionary, width: int) -> Dictionary:
	var dims: Array = []
	for d: Variant in view.get("dims", []):
		if typeof(d) not in [TYPE_INT, TYPE_FLOAT] or int(d) < 0 or int(d) >= width:
			return {}
		dims.append(int(d))
	var color: String = str(view.get("color", "label"))
	if (
		color.begins_with("z")
		and (not color.substr(1).is_valid_int() or color.substr(1).to_int() >= width)
	):
		return {}
	var out: Dictionary = {"projection": str(view.get("projection", "pca")), "color": color}
	if out["projection"] == "dims" and not dims.is_empty():
		out["dims"] = dims
	return out


## True when two `latent_view` maps show the same thing (dims compared as whole numbers).
static func same_view(a: Dictionary, b: Dictionary) -> bool:
	if str(a.get("projection")) != str(b.get("projection")):
		return false
	if str(a.get("color")) != str(b.get("color")):
		return false
	if str(a.get("projection")) != "dims":
		return true
	var da: Array = (a.get("dims", []) as Array).map(func(d: Variant) -> int: return int(d))
	var db: Array = (b.get("dims", []) as Array).map(func(d: Variant) -> int: return int(d))
	return da == db


func _after_reconnect(status: Dictionary) -> void:
	var run: String = str(status.get("run", ""))
	var step: int = int(status.get("step", 0))
	var old: String = str(_lost.get("run", ""))
	if old.is_empty() or run == old:
		if not old.is_empty():
			StudioSession.note(
				"info",
				"run_restored",
				"The backend came back with the same run, %s, at step %d." % [run, step]
			)
		if run == old and step < int(_lost.get("step", 0)):
			# Steps after the last save were lost with the backend: the curve starts over from
			# the run's own history.
			StudioSession.request_history(true)
		_put_view_back(status)
		_view = {}
		return
	(
		StudioSession
		. note(
			"warning",
			"run_changed",
			(
				(
					"The backend came back with a different run: %s at step %d, not %s (step %d). It was"
					% [run, step, old, int(_lost.get("step", 0))]
				)
				+ " restarted without --resume, or someone started another run meanwhile."
			)
		)
	)
	_put_view_back(status)
	StudioSession.send("run.list", {}, _on_run_list.bind(old, run))


## Offers to load `old` again when the backend lists a checkpoint of it; says so when not.
func _on_run_list(request: VaeStudioRequest, old: String, live: String) -> void:
	if not request.is_ok():
		return
	var runs: Variant = request.result().get("runs")
	var entry: Dictionary = {}
	for item: Variant in runs if runs is Array else []:
		if item is Dictionary and str((item as Dictionary).get("run", "")) == old:
			entry = item
	if entry.is_empty() or entry.get("checkpoint", true) != true:
		var why: String = "has no checkpoint" if not entry.is_empty() else "is not among its runs"
		var text: String = (
			(
				"The backend came back with a different run (%s). Your run %s %s, so it cannot be"
				% [live, old, why]
			)
			+ " loaded again."
		)
		StudioSession.note("warning", "run_lost", text)
		StudioSession.notices.post("run_lost", text, "warning", StudioNotices.ERROR_TTL_S * 2.0)
		return
	offered_run = old
	# The new run's name is in the status bar and the Log; the bar keeps to what to do.
	var text: String = (
		"The backend came back with another run. Your run %s was saved at step %d."
		% [old, int(entry.get("step", 0))]
	)
	StudioSession.notices.post(
		OFFER_KEY, text, "warning", 0.0, "Load %s" % old, _load_offered.bind(old)
	)


## The notice's button: loads the old run (a failure shows as a notice of its own).
func _load_offered(run: String) -> void:
	StudioSession.note("info", "loading", "Loading run %s again, as the notice offered." % run)
	StudioSession.send("run.load", {"run": run})


## Sends the view the user had when it fits the live run and differs from the backend's.
func _put_view_back(status: Dictionary) -> void:
	var current: Variant = status.get("latent_view")
	if _view.is_empty() or not current is Dictionary:
		return
	var width: int = int(status.get("latent_dim", 0))
	var wanted: Dictionary = fitting_view(_view, width)
	if wanted.is_empty():
		(
			StudioSession
			. note(
				"info",
				"view_kept",
				(
					"The latent view you had (%s) does not fit run %s's %d dimensions; kept the backend's."
					% [describe_view(_view), str(status.get("run", "")), width]
				)
			)
		)
		return
	if same_view(current, wanted):
		return
	StudioSession.set_latent_view(wanted, true)
	StudioSession.note(
		"info", "view_restored", "Put the latent view back: %s." % describe_view(wanted)
	)


## "pca, coloured by loss" or "dims 0, 3, coloured by label".
static func describe_view(view: Dictionary) -> String:
	var shown: String = str(view.get("projection", "pca"))
	var dims: Array = view.get("dims", [])
	if shown == "dims" and not dims.is_empty():
		shown = "dims " + ", ".join(dims.map(func(d: Variant) -> String: return str(int(d))))
	return "%s, coloured by %s" % [shown, str(view.get("color", "label"))]


## The newest step of the live run the Studio saw: its last metrics message's, else the status's.
static func _newest_step() -> int:
	var step: int = int(StudioSession.status.get("step", 0))
	if StudioSession.metrics.get("run") == StudioSession.status.get("run"):
		step = maxi(step, int(StudioSession.metrics.get("step", 0)))
	return step

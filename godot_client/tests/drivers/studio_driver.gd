extends Node
## Runs the Studio (res://main.tscn) under test control; the shipped scripts know nothing of it:
##   godot --path godot_client res://tests/drivers/studio_driver.tscn -- [Studio and driver args]
## Besides the Studio's own arguments (--control, --stream, --token, --tab) it takes:
##   --screenshot=PATH ...      saves a picture and a JSON report, then quits
##                              (screenshot_capture.gd)
##   --auto-new-run=MODEL ...   drives the Runs panel (runs_driver.gd; --auto-actions=... alone
##                              drives it without a new run)
##   --auto-label=N             picks class N in the inspector once the live model is conditional
##   --decode-at=X,Y            decodes that point of the plane (on its first two axes, through
##                              the session's anchor) once the first latent frame is in
##   --pick-at=FX,FY, --view-dims=X,Y, --view-colour=NAME, --hover-row=I, --click-row=I
##   --view-3d, --orbit=DX,DY   operates the latent view (explore_driver.gd)
##   --open=connect             opens the connect dialog (again once connected)
##   --tab=samples|grid [--samples-temperature=T] [--grid-n=N]
##                              operates the Samples or Grid tab (panels_driver.gd)
##   --tab=data [--data-recon-updates=N]   watches the Data tab (data_space_driver.gd)
##   --tab=z|pins|interpolate [--slide=DIM,VALUE] [--pin-count=N] [--interp-steps=N]
##     [--interp-mode=linear|slerp]   operates the z, Pins or Interpolate tab
##                              (explore_panels_driver.gd)
##   --connect-to=CONTROL,STREAM[,TOKEN]   half a second in, connects there through the dialog
##   --bench [--bench-frames=N] [--bench-rounds=R]   prints frame and decode timings, then quits
##                              (bench_driver.gd)
##   --view=dashboard [--dash-series=NAME] [--dash-smoothing=W] [--dash-zoom=N]
##     [--dash-drag=F0,F1] [--dash-hover=FX] [--dash-resume] [--dash-banner] [--dash-large-recons]
##                              operates the Dashboard (dashboard_driver.gd)
##   --view="data flow" [--flow-row=I | --flow-pick=I] [--flow-resample] [--flow-animate]
##                              watches and operates the Data flow page (dataflow_driver.gd)
##   --view=export [--export-run=NAME] [--export-items=…] [--export-to=PATH] [--export-chunk=B]
##     [--export-retry] [--studio-save=…] [--studio-to=PATH] [--studio-sequence=EVERY,COUNT]
##                              operates the Export tab (export_driver.gd)
##   --view=settings [--settings-steps=STEP|STEP|...] [--settings-marker=PATH]
##                              operates the Settings tab (settings_driver.gd)
##   --use-case=denoise|anomaly|compression [--uc-kind=K] [--uc-level=L] [--uc-positive=N]
##     [--uc-threshold=F] [--uc-show-latent] [--uc-train-without=N] [--uc-bits=B]
##                              operates that use-case page (usecases_driver_a.gd)
##   --use-case=style|features|generation [--uc-pick=I,J,K] [--uc-rows=0,5]
##     [--uc-analogy=A,B,C] [--uc-attribute=FROM,TO,T] [--uc-run-features]
##                              operates that use-case page
##                              (usecases_driver_b.gd)
##   --watch=PATH [--orders=PATH]   writes what the Studio shows over time into PATH and
##                              carries out the orders a test appends (multiclient_driver.gd)
##   --chart-check              steps and resets, noting the chart's steps (chart_driver.gd)
##   --layout-probe             opens every view, noting parts cut off (layout_probe.gd)

const MAIN_SCENE: PackedScene = preload("res://main.tscn")
const RunsDriver := preload("res://tests/drivers/runs_driver.gd")
const ExploreDriver := preload("res://tests/drivers/explore_driver.gd")
const PanelsDriver := preload("res://tests/drivers/panels_driver.gd")
const DataSpaceDriver := preload("res://tests/drivers/data_space_driver.gd")
const ExplorePanelsDriver := preload("res://tests/drivers/explore_panels_driver.gd")
const ScreenshotCapture := preload("res://tests/drivers/screenshot_capture.gd")
const BenchDriver := preload("res://tests/drivers/bench_driver.gd")
const DashboardDriver := preload("res://tests/drivers/dashboard_driver.gd")
const DataFlowDriver := preload("res://tests/drivers/dataflow_driver.gd")
const UseCasesDriverA := preload("res://tests/drivers/usecases_driver_a.gd")
const UseCasesDriverB := preload("res://tests/drivers/usecases_driver_b.gd")
const ExportDriver := preload("res://tests/drivers/export_driver.gd")
const SettingsDriver := preload("res://tests/drivers/settings_driver.gd")
const MultiClientDriver := preload("res://tests/drivers/multiclient_driver.gd")
const ChartDriver := preload("res://tests/drivers/chart_driver.gd")
const LayoutProbe := preload("res://tests/drivers/layout_probe.gd")

var _main: Control
var _inspector: InspectorPanel
var _runs_driver: RunsDriver
var _explore_driver: ExploreDriver
var _panels_driver: PanelsDriver
var _data_driver: DataSpaceDriver
var _explore_panels_driver: ExplorePanelsDriver
var _capture: ScreenshotCapture
var _label: int = -1
var _decode_at := Vector2.ZERO
var _decode_z := PackedFloat32Array()
var _decode_sent: bool = false


func _ready() -> void:
	var options: Dictionary = StudioSession.options
	_main = MAIN_SCENE.instantiate()
	add_child(_main)
	_inspector = _main.get_node("%InspectorPanel")
	if options.has("screenshot"):
		_capture = ScreenshotCapture.new()
		_capture.name = "ScreenshotCapture"
		_capture.latent_view = _main.get_node("%LatentView")
		_capture.image_view = _inspector.image_view()
		_capture.configure(options)
		add_child(_capture)
	if options.has("auto-new-run") or options.has("auto-actions"):
		_add_runs_driver(options)
	var label: String = str(options.get("auto-label", ""))
	if label.is_valid_int():
		_label = label.to_int()
		StudioSession.status_received.connect(_on_status_received)
		_wait_for(_labelled_decode_shown)
	var at: PackedStringArray = str(options.get("decode-at", "")).split(",")
	if at.size() == 2 and at[0].is_valid_float() and at[1].is_valid_float():
		_decode_at = Vector2(at[0].to_float(), at[1].to_float())
		StudioSession.latent_received.connect(_on_latent_received)
		_wait_for(_point_decode_shown)
	var explore_keys: Array[String] = ["pick-at", "view-dims", "view-colour", "hover-row"]
	explore_keys.append_array(["click-row", "view-3d", "orbit"])
	if explore_keys.any(func(key: String) -> bool: return options.has(key)):
		_explore_driver = ExploreDriver.new()
		_explore_driver.name = "ExploreDriver"
		_explore_driver.view = _main.get_node("%LatentView")
		_explore_driver.configure(options)
		add_child(_explore_driver)
		if _capture != null:
			_capture.report_parts["explore"] = _explore_driver.report
		_wait_for(func() -> bool: return _explore_driver.finished)
	if str(options.get("tab", "")).to_lower() in ["samples", "grid"]:
		_add_panels_driver(options)
	if str(options.get("tab", "")).to_lower() == "data":
		_add_data_driver(options)
	if str(options.get("tab", "")).to_lower() in ["z", "pins", "interpolate"]:
		_add_explore_panels_driver(options)
	if str(options.get("open", "")) == "connect":
		_open_connect_dialog(true)
		StudioSession.connection_changed.connect(_open_connect_dialog)
	var to: PackedStringArray = str(options.get("connect-to", "")).split(",")
	if to.size() >= 2:
		to.resize(3)
		get_tree().create_timer(0.5).timeout.connect(_connect_through_dialog.bind(to))
	if options.has("bench"):
		_add_bench_driver(options)
	if str(options.get("view", "")).to_lower() == "dashboard":
		_add_dashboard_driver(options)
	if str(options.get("view", "")).to_lower() == "data flow":
		_add_dataflow_driver(options)
	if str(options.get("view", "")).to_lower() == "export":
		_add_export_driver(options)
	if str(options.get("view", "")).to_lower() == "settings":
		_add_settings_driver(options)
	if str(options.get("use-case", "")).to_lower() in ["denoise", "anomaly", "compression"]:
		_add_usecases_driver_a(options)
	if str(options.get("use-case", "")).to_lower() in ["style", "features", "generation"]:
		_add_usecases_driver_b(options)
	if options.has("watch"):
		_add_multiclient_driver(options)
	if options.has("chart-check"):
		_add_part("chart", ChartDriver.new())
	if options.has("layout-probe"):
		var probe := LayoutProbe.new()
		probe.main = _main
		_add_part("layout", probe)


## Adds a driver that needs nothing but the session; its report goes under `part`.
func _add_part(part: String, driver: Node) -> void:
	driver.name = part.capitalize() + "Driver"
	add_child(driver)
	if _capture != null:
		_capture.report_parts[part] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_multiclient_driver(options: Dictionary) -> void:
	var driver := MultiClientDriver.new()
	driver.name = "MultiClientDriver"
	driver.main = _main
	driver.configure(options)
	add_child(driver)
	if _capture != null:
		_capture.report_parts["watch"] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_usecases_driver_b(options: Dictionary) -> void:
	var driver := UseCasesDriverB.new()
	driver.name = "UseCasesDriverB"
	driver.style_page = _main.get_node("%StylePage")
	driver.features_page = _main.get_node("%FeaturesPage")
	driver.generation_page = _main.get_node("%GenerationPage")
	driver.configure(options)
	add_child(driver)
	if _capture != null:
		_capture.report_parts["usecases_b"] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_usecases_driver_a(options: Dictionary) -> void:
	var driver := UseCasesDriverA.new()
	driver.name = "UseCasesDriverA"
	var page_name: String = str(options.get("use-case", "")).capitalize()
	driver.page = _main.get_node("%%%sPage" % page_name)
	driver.overlay = _main.get_node("%LatentOverlay")
	driver.configure(options)
	add_child(driver)
	if _capture != null:
		_capture.report_parts["usecases_a"] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_settings_driver(options: Dictionary) -> void:
	var driver := SettingsDriver.new()
	driver.name = "SettingsDriver"
	driver.view = _main.get_node("%SettingsView")
	driver.configure(options)
	add_child(driver)
	if _capture != null:
		_capture.report_parts["settings"] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_export_driver(options: Dictionary) -> void:
	var driver := ExportDriver.new()
	driver.name = "ExportDriver"
	driver.view = _main.get_node("%ExportView")
	driver.interpolation = _main.get_node("%Interpolate")
	driver.configure(options)
	add_child(driver)
	if _capture != null:
		_capture.report_parts["export"] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_dataflow_driver(options: Dictionary) -> void:
	var flow := DataFlowDriver.new()
	flow.name = "DataFlowDriver"
	flow.view = _main.get_node("%DataFlowView")
	flow.configure(options)
	add_child(flow)
	if _capture != null:
		_capture.report_parts["data_flow"] = flow.report
	_wait_for(func() -> bool: return flow.finished)


func _add_dashboard_driver(options: Dictionary) -> void:
	var driver := DashboardDriver.new()
	driver.name = "DashboardDriver"
	driver.view = _main.get_node("%DashboardView")
	var controls: Node = _main.get_node("Layout/Body/Side/Tabs/Training/TrainingControls")
	driver.run_button = controls.get_node("Rows/Buttons/RunButton")
	driver.configure(options)
	add_child(driver)
	if _capture != null:
		_capture.report_parts["dashboard"] = driver.report
	_wait_for(func() -> bool: return driver.finished)


func _add_bench_driver(options: Dictionary) -> void:
	var bench := BenchDriver.new()
	bench.name = "BenchDriver"
	bench.view = _main.get_node("%LatentView")
	bench.sliders = _main.get_node("%z")
	bench.grid = _main.get_node("%Grid")
	bench.tabs = _main.get_node("%Tabs")
	bench.configure(options)
	add_child(bench)


func _add_runs_driver(options: Dictionary) -> void:
	_runs_driver = RunsDriver.new()
	_runs_driver.name = "RunsDriver"
	_runs_driver.panel = _main.get_node("%Runs")
	_runs_driver.export_view = _main.get_node("%ExportView")
	_runs_driver.configure(options)
	add_child(_runs_driver)
	if _capture != null:
		_capture.report_parts["runs_panel"] = _runs_driver.report
		_wait_for(_new_run_shown)


func _add_explore_panels_driver(options: Dictionary) -> void:
	_explore_panels_driver = ExplorePanelsDriver.new()
	_explore_panels_driver.name = "ExplorePanelsDriver"
	_explore_panels_driver.sliders = _main.get_node("%z")
	_explore_panels_driver.pins_panel = _main.get_node("%Pins")
	_explore_panels_driver.interpolation = _main.get_node("%Interpolate")
	_explore_panels_driver.overlay = _main.get_node("%LatentOverlay")
	_explore_panels_driver.configure(options)
	add_child(_explore_panels_driver)
	if _capture != null:
		_capture.report_parts["explore_panels"] = _explore_panels_driver.report
	_wait_for(func() -> bool: return _explore_panels_driver.finished)


func _add_panels_driver(options: Dictionary) -> void:
	_panels_driver = PanelsDriver.new()
	_panels_driver.name = "PanelsDriver"
	_panels_driver.samples = _main.get_node("%Samples")
	_panels_driver.grid = _main.get_node("%Grid")
	_panels_driver.configure(options)
	add_child(_panels_driver)
	if _capture != null:
		_capture.report_parts["panels"] = _panels_driver.report
	_wait_for(func() -> bool: return _panels_driver.finished)


func _add_data_driver(options: Dictionary) -> void:
	_data_driver = DataSpaceDriver.new()
	_data_driver.name = "DataSpaceDriver"
	_data_driver.view = _main.get_node("%Data")
	_data_driver.configure(options)
	add_child(_data_driver)
	if _capture != null:
		_capture.report_parts["data_space"] = _data_driver.report
	_wait_for(func() -> bool: return _data_driver.finished)


func _wait_for(condition: Callable) -> void:
	if _capture != null:
		_capture.conditions.append(condition)


## The driven sequence is done and the run live by then has its own frames and a decode.
func _new_run_shown() -> bool:
	return (
		_runs_driver.finished
		and StudioSession.run_latent_frames >= _capture.min_latent_frames
		and StudioSession.run_decoded_images >= 1
	)


func _labelled_decode_shown() -> bool:
	return not StudioSession.is_conditional() or StudioSession.decoded_label == _label


func _point_decode_shown() -> bool:
	return _decode_sent and StudioSession.decoded_z == _decode_z


## Picks the class as a user does in the inspector, once the live model takes labels.
func _on_status_received(_status: Dictionary) -> void:
	if _label < 0 or not StudioSession.is_conditional():
		return
	_inspector.select_class(mini(_label, StudioSession.num_classes() - 1))
	_label = mini(_label, StudioSession.num_classes() - 1)
	StudioSession.status_received.disconnect(_on_status_received)


func _open_connect_dialog(now_connected: bool) -> void:
	if now_connected:
		(_main.get_node("%ConnectDialog") as ConnectDialog).open()


## Opens the dialog and presses Connect with these fields, as a user does.
func _connect_through_dialog(to: PackedStringArray) -> void:
	var dialog: ConnectDialog = _main.get_node("%ConnectDialog")
	dialog.open()
	var why: String = dialog.connect_to(to[0], to[1], to[2])
	if not why.is_empty():
		push_error("--connect-to: %s" % why)


func _on_latent_received(frame: StudioLatentFrame) -> void:
	if _decode_sent or frame.count == 0:
		return
	_decode_sent = true
	_decode_z = frame.to_z(_decode_at, StudioSession.decode_anchor)
	StudioSession.decode_point(_decode_at)

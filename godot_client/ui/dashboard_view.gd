class_name DashboardView
extends VBoxContainer
## The Dashboard page of the main area: the training watch's banner, the metrics chart over the
## whole run, KL per latent dimension beside layer health, and the reconstructions strip. Each
## part reads StudioSession by itself; this only lays them out (about 800 × 600 at 1280 × 720).

var watch: DashboardWatch
var chart_panel: DashboardChartPanel
var dims: DashboardDims
var layers: DashboardLayers
var recons: DashboardRecons


func _ready() -> void:
	add_theme_constant_override("separation", 8)
	watch = DashboardWatch.new()
	watch.name = "Watch"
	add_child(watch)
	chart_panel = DashboardChartPanel.new()
	chart_panel.name = "ChartPanel"
	chart_panel.size_flags_vertical = Control.SIZE_EXPAND_FILL
	chart_panel.size_flags_stretch_ratio = 1.6
	add_child(chart_panel)
	var row := HBoxContainer.new()
	row.name = "Health"
	row.size_flags_vertical = Control.SIZE_EXPAND_FILL
	row.add_theme_constant_override("separation", 12)
	add_child(row)
	dims = DashboardDims.new()
	dims.name = "Dims"
	dims.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(dims)
	layers = DashboardLayers.new()
	layers.name = "Layers"
	layers.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	layers.size_flags_stretch_ratio = 1.3
	row.add_child(layers)
	recons = DashboardRecons.new()
	recons.name = "Recons"
	add_child(recons)
	recons.large_toggle.toggled.connect(_on_large_recons)


## Large reconstructions take the room of the chart, which keeps its controls and a short plot.
func _on_large_recons(on: bool) -> void:
	recons.size_flags_vertical = Control.SIZE_EXPAND_FILL if on else Control.SIZE_FILL
	recons.size_flags_stretch_ratio = 2.5 if on else 1.0
	recons.strip.size_flags_vertical = Control.SIZE_EXPAND_FILL

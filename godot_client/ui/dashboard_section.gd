class_name DashboardSection
extends RefCounted
## The title row every Dashboard section starts with: its name, then a dim one-line summary that
## takes the rest of the width (and is cut rather than widening the page).


## Adds the row to `section` and returns the summary label, for the section to keep up to date.
static func add_header(section: BoxContainer, title_text: String) -> Label:
	section.add_theme_constant_override("separation", 2)
	var top := HBoxContainer.new()
	top.name = "Top"
	section.add_child(top)
	var title := Label.new()
	title.text = title_text
	title.theme_type_variation = &"HeaderSmall"
	top.add_child(title)
	var summary := Label.new()
	summary.theme_type_variation = &"DimLabel"
	summary.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	summary.clip_text = true
	top.add_child(summary)
	return summary

use std::path::{Path, PathBuf};

use roxmltree::Document;

use super::*;
use crate::load::read_model;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The diagram of a model file, at its saved positions when it has them.
fn diagram_of(path: &Path) -> String {
    let loaded = match read_model(path, &[]) {
        Ok(loaded) => loaded,
        Err(error) => unreachable!("{} reads: {error}", path.display()),
    };
    let resolved = match loaded.resolve() {
        Ok((resolved, _)) => resolved,
        Err(error) => unreachable!("{} resolves: {error}", path.display()),
    };
    diagram(&loaded.model, &resolved, saved_layout(&loaded).as_ref())
}

/// The centre of the box, valve or circle drawn for the variable with this name.
fn centre_of(document: &Document, name: &str) -> Option<Point> {
    let group = document.descendants().find(|node| {
        node.has_tag_name("g") && node.children().any(|child| child.has_tag_name("title") && child.text() == Some(name))
    })?;
    let shape = group.children().find(|child| child.has_tag_name("rect") || child.has_tag_name("circle"))?;
    let number = |attribute: &str| shape.attribute(attribute).and_then(|text| text.parse::<f64>().ok());
    if shape.has_tag_name("rect") {
        Some((number("x")? + number("width")? / 2.0, number("y")? + number("height")? / 2.0))
    } else {
        Some((number("cx")?, number("cy")?))
    }
}

/// Each `<text>` as one line: its `<tspan>` lines joined by spaces.
fn texts(document: &Document) -> Vec<String> {
    document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .map(|text| {
            let parts: Vec<&str> =
                text.descendants().filter(|node| node.is_text()).filter_map(|node| node.text()).collect();
            parts.join(" ")
        })
        .collect()
}

#[test]
fn teacup_diagram_snapshot() {
    let svg = diagram_of(&repository().join("models/teacup/model.toml"));
    insta::assert_snapshot!(svg);
}

#[test]
fn same_model_gives_the_same_bytes() {
    let path = repository().join("models/workforce/model.toml");
    assert_eq!(diagram_of(&path), diagram_of(&path));
}

#[test]
fn every_bundled_model_draws_with_every_label_and_rasterizes_to_visible_pixels() {
    let mut models: Vec<PathBuf> = std::fs::read_dir(repository().join("models"))
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path().join("model.toml")).collect())
        .unwrap_or_default();
    models.retain(|path| path.exists());
    models.sort();
    assert!(models.len() >= 7, "the bundled models are found: {models:?}");
    // And two files drawn at their saved positions, one of each format.
    let teacups = repository().join("../shared/conformance/test-models/samples/teacup");
    models.extend([teacups.join("teacup_w_diagram.xmile"), teacups.join("teacup.mdl")]);
    for path in models {
        let svg = diagram_of(&path);
        let document = match Document::parse(&svg) {
            Ok(document) => document,
            Err(error) => unreachable!("{}: the SVG is well-formed XML: {error}", path.display()),
        };
        let texts = texts(&document);
        let loaded = read_model(&path, &[]).ok();
        for variable in loaded.iter().flat_map(|loaded| &loaded.model.variables) {
            let name = variable.name.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(texts.contains(&name), "{}: the label of {name:?} is in the SVG text", path.display());
        }

        let tree = match resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()) {
            Ok(tree) => tree,
            Err(error) => unreachable!("{}: the SVG parses for rendering: {error}", path.display()),
        };
        let size = tree.size().to_int_size();
        let Some(mut pixmap) = resvg::tiny_skia::Pixmap::new(size.width(), size.height()) else {
            unreachable!("{}: a drawable size, not {size:?}", path.display())
        };
        resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
        let inked = pixmap.pixels().iter().filter(|pixel| pixel.alpha() > 0 && pixel.red() < 200).count();
        let share = inked as f64 / pixmap.pixels().len() as f64;
        assert!(share > 0.005, "{}: {inked} dark pixels ({share:.4} of the picture)", path.display());
    }
}

#[test]
fn xmile_views_place_variables_at_their_saved_positions() {
    let path = repository().join("../shared/conformance/test-models/samples/teacup/teacup_w_diagram.xmile");
    let svg = diagram_of(&path);
    let Ok(document) = Document::parse(&svg) else { unreachable!("well-formed SVG") };
    // The file saves the stock at (132, 97), the flow's valve at (243, 92) and the auxiliaries
    // at (285, 43) and (283, 139); the drawing moves them all by one margin.
    let Some(stock) = centre_of(&document, "teacup temperature") else { unreachable!("the stock is drawn") };
    let offset = (stock.0 - 132.0, stock.1 - 97.0);
    for (name, x, y) in
        [("heat loss to room", 243.0, 92.0), ("characteristic time", 285.0, 43.0), ("room temperature", 283.0, 139.0)]
    {
        assert_eq!(centre_of(&document, name), Some((x + offset.0, y + offset.1)), "{name}");
    }
    // The pipe follows the saved points, 154 to 332 at height 92, ending at the edge of the cloud
    // there (the other end is under the stock's box).
    let end = 332.0 - (AUX_RADIUS + 3.0);
    assert!(svg.contains(&format!(" L{} {}\"", number(end + offset.0), number(92.0 + offset.1))), "{svg}");
}

#[test]
fn vensim_sketch_places_world3_at_its_saved_positions() {
    let path = repository().join("../shared/vensim/world3-03/wrld3-03.mdl");
    let svg = diagram_of(&path);
    let Ok(document) = Document::parse(&svg) else { unreachable!("well-formed SVG") };
    // In the Demographics view: `10,1,Population 0 To 14,356,480`, `10,6,Population 15 To
    // 44,620,479`, and the valve `11,3,0,618,578` of `deaths 15 to 44`.
    let Some(first) = centre_of(&document, "Population 0 To 14") else { unreachable!("the stock is drawn") };
    let offset = (first.0 - 356.0, first.1 - 480.0);
    for (name, x, y) in [("Population 15 To 44", 620.0, 479.0), ("deaths 15 to 44", 618.0, 578.0)] {
        assert_eq!(centre_of(&document, name), Some((x + offset.0, y + offset.1)), "{name}");
    }
}

#[test]
fn without_a_layout_stocks_share_a_row_and_auxiliaries_sit_above() {
    let svg = diagram_of(&repository().join("models/teacup/model.toml"));
    let Ok(document) = Document::parse(&svg) else { unreachable!("well-formed SVG") };
    let at = |name: &str| centre_of(&document, name).unwrap_or((f64::NAN, f64::NAN));
    let (stock, flow, aux) = (at("Teacup Temperature"), at("Heat Loss to Room"), at("Room Temperature"));
    // The outflow to a cloud hangs below its stock; what the flow reads is above the row.
    assert!(flow.1 > stock.1 && aux.1 < stock.1, "stock {stock:?}, flow {flow:?}, auxiliary {aux:?}");
}

/// A link's sign is the resolver's where the structure fixes it: heat loss rises with the
/// tea's temperature; a constant's links carry no sign (constants do not change during a run).
#[test]
fn links_are_what_equations_read_with_the_polarity_the_structure_fixes() {
    let path = repository().join("models/teacup/model.toml");
    let Ok(loaded) = read_model(&path, &[]) else { unreachable!("the teacup reads") };
    let Ok((resolved, _)) = loaded.resolve() else { unreachable!("the teacup resolves") };
    let found: Vec<(String, String, Option<Polarity>)> = links(&loaded.model, &resolved)
        .iter()
        .map(|link| {
            let name = |index: usize| loaded.model.variables[index].name.clone();
            (name(link.from), name(link.to), link.polarity)
        })
        .collect();
    let expected = [
        ("Teacup Temperature", "Heat Loss to Room", Some(Polarity::Positive)),
        ("Room Temperature", "Heat Loss to Room", None),
        ("Characteristic Time", "Heat Loss to Room", None),
    ];
    let mut expected: Vec<(String, String, Option<Polarity>)> =
        expected.iter().map(|(a, b, sign)| (a.to_string(), b.to_string(), *sign)).collect();
    expected.sort_by_key(|(from, _, _)| loaded.model.variables.iter().position(|variable| &variable.name == from));
    assert_eq!(found, expected);
}

/// The teacup's one loop: the temperature sets the heat loss, whose pipe drains the cup. Drawn
/// highlighted, that link, that pipe and both outlines take the loop's colour; the link from a
/// constant does not.
#[test]
fn a_highlighted_loop_draws_its_links_pipes_and_variables_in_the_loops_colour() {
    let path = repository().join("models/teacup/model.toml");
    let Ok(loaded) = read_model(&path, &[]) else { unreachable!("the teacup reads") };
    let Ok((resolved, _)) = loaded.resolve() else { unreachable!("the teacup resolves") };
    let on_loop = ["Teacup Temperature".to_owned(), "Heat Loss to Room".to_owned()];
    let plain = diagram(&loaded.model, &resolved, None);
    let svg = diagram_with_loop(&loaded.model, &resolved, None, &on_loop);
    assert!(!plain.contains(&format!("stroke=\"{LOOP_COLOUR}\"")), "nothing is highlighted without a loop");
    let Ok(document) = Document::parse(&svg) else { unreachable!("well-formed SVG") };
    let coloured = |tag: &str| {
        document
            .descendants()
            .filter(|node| node.has_tag_name(tag) && node.attribute("stroke") == Some(LOOP_COLOUR))
            .count()
    };
    // The link (a path with the loop's arrowhead) and the pipe; the stock's box; the valve.
    let loop_links =
        document.descendants().filter(|node| node.attribute("marker-end") == Some("url(#loop-head)")).count();
    assert_eq!(loop_links, 1, "{svg}");
    assert_eq!(coloured("path"), 2, "{svg}");
    assert_eq!(coloured("rect"), 1, "{svg}");
    assert_eq!(coloured("circle"), 1, "{svg}");
}

/// An arrayed variable is drawn as a stack: its own shape, titled with its name, and the same
/// outline offset behind it; a scalar variable has its shape alone.
#[test]
fn arrayed_variables_are_stacks_and_scalars_are_single_shapes() {
    const MODEL: &str = r#"
[sim]
start = 0
stop = 4
dt = 1

[[dimension]]
name = "Age"
elements = ["young", "old"]

[[stock]]
name = "Cohort"
dimensions = ["Age"]
initial = 10
inflows = ["Entering"]

[[flow]]
name = "Entering"
dimensions = ["Age"]
equation = "Cohort[Age] * Rate"

[[constant]]
name = "Rate"
value = 0.1

[[auxiliary]]
name = "Total"
equation = "SUM(Cohort[*])"
"#;
    let (model, _) = match fulcrum_model::native::read(MODEL) {
        Ok(read) => read,
        Err(error) => unreachable!("the model reads: {error:?}"),
    };
    let resolved = match fulcrum_model::resolve(&model) {
        Ok(resolved) => resolved,
        Err(error) => unreachable!("the model resolves: {error:?}"),
    };
    let svg = diagram(&model, &resolved, None);
    let document = match Document::parse(&svg) {
        Ok(document) => document,
        Err(error) => unreachable!("the SVG parses: {error}"),
    };
    let stacks: Vec<roxmltree::Node<'_, '_>> = document
        .descendants()
        .filter(|node| node.has_tag_name("g") && node.attribute("class") == Some("stack"))
        .collect();
    // Cohort and Entering are arrays; Rate and Total are not.
    assert_eq!(stacks.len(), 2, "{svg}");
    for name in ["Cohort", "Entering"] {
        let centre = centre_of(&document, name).unwrap_or_else(|| unreachable!("{name} is drawn"));
        let behind = stacks.iter().find_map(|stack| {
            let shape = stack.children().find(|child| child.is_element())?;
            let number = |attribute: &str| shape.attribute(attribute).and_then(|text| text.parse::<f64>().ok());
            let at = if shape.has_tag_name("rect") {
                (number("x")? + number("width")? / 2.0, number("y")? + number("height")? / 2.0)
            } else {
                (number("cx")?, number("cy")?)
            };
            ((at.0 - centre.0 - STACK_OFFSET).abs() < 1e-9 && (at.1 - centre.1 + STACK_OFFSET).abs() < 1e-9)
                .then_some(shape.tag_name().name().to_owned())
        });
        let expected = if name == "Cohort" { "rect" } else { "circle" };
        assert_eq!(behind.as_deref(), Some(expected), "{name}: a {expected} up and to the right behind it");
    }
    for name in ["Rate", "Total"] {
        assert!(centre_of(&document, name).is_some(), "{name} is drawn");
    }
}

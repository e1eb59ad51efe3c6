//! The diagram an XMILE file saves: the first `<view>` of the main model's `<views>` that
//! places stocks, flows or auxiliaries.

use fulcrum_model::CanonicalName;
use fulcrum_model::layout::{Connector, Layout, Place};
use roxmltree::{Document, Node};

/// The saved positions of the main model's diagram, or `None` when the file saves none (or is
/// not XML: [`crate::read`] reports that). Objects without a name or with a coordinate that is
/// not a number are left out, to be placed automatically.
pub fn read_layout(text: &str) -> Option<Layout> {
    let document = Document::parse(text).ok()?;
    let models = document.root_element().children().filter(|node| is(node, "model"));
    // The main model is the one without a name; a file of one model may name it.
    let mut main = None;
    for model in models {
        if model.attribute("name").is_none() || main.is_none() {
            main = Some(model);
        }
        if model.attribute("name").is_none() {
            break;
        }
    }
    let views = main?.children().find(|node| is(node, "views"))?;
    views.children().filter(|node| is(node, "view")).map(view_layout).find(|layout| !layout.is_empty())
}

fn view_layout(view: Node) -> Layout {
    let mut layout = Layout::default();
    for object in view.children().filter(|node| is(node, "stock") || is(node, "flow") || is(node, "aux")) {
        let (Some(name), Some(x), Some(y)) = (object.attribute("name"), number(object, "x"), number(object, "y"))
        else {
            continue;
        };
        let pipe = object
            .children()
            .filter(|node| is(node, "pts"))
            .flat_map(|pts| pts.children().filter(|node| is(node, "pt")))
            .filter_map(|pt| Some((number(pt, "x")?, number(pt, "y")?)))
            .collect();
        // Names in views escape line breaks as `\n`; the variable's name has a space there.
        let name = CanonicalName::new(&name.replace("\\n", " ").replace('\n', " "));
        layout.add(Place { name, x, y, pipe, shadows: Vec::new() });
    }
    for connector in view.children().filter(|node| is(node, "connector")) {
        let end = |tag: &str| {
            let text = connector.children().find(|node| is(node, tag))?.text()?.trim().to_owned();
            Some(CanonicalName::new(&text.replace("\\n", " ")))
        };
        let (Some(from), Some(to)) = (end("from"), end("to")) else { continue };
        let at = |name: &CanonicalName| layout.place(name).map(|place| (place.x, place.y));
        let (Some(start), Some(end)) = (at(&from), at(&to)) else { continue };
        layout.connectors.push(Connector { from, to, start, end });
    }
    layout
}

fn is(node: &Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

fn number(node: Node, attribute: &str) -> Option<f64> {
    node.attribute(attribute)?.trim().parse::<f64>().ok().filter(|value| value.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stock_flow_and_aux_positions_with_the_flow_pipe() {
        let text = r#"<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
          <model><variables/><views><view>
            <stock x="132" y="97" name="teacup_temperature"/>
            <flow x="243" y="92" name="heat_loss_to_room"><pts><pt x="154" y="92"/><pt x="332" y="92"/></pts></flow>
            <aux x="285" y="43" name="Characteristic\nTime"/>
            <aux x="oops" y="43" name="broken"/>
            <connector uid="1"><from>characteristic_time</from><to>heat_loss_to_room</to></connector>
          </view></views></model></xmile>"#;
        let layout = read_layout(text).unwrap_or_default();
        let stock = layout.place(&CanonicalName::new("Teacup Temperature"));
        assert_eq!(stock.map(|place| (place.x, place.y)), Some((132.0, 97.0)));
        let flow = layout.place(&CanonicalName::new("Heat Loss to Room"));
        assert_eq!(flow.map(|place| place.pipe.clone()), Some(vec![(154.0, 92.0), (332.0, 92.0)]));
        assert!(layout.place(&CanonicalName::new("Characteristic Time")).is_some());
        assert!(layout.place(&CanonicalName::new("broken")).is_none());
        let connector = Connector {
            from: CanonicalName::new("Characteristic Time"),
            to: CanonicalName::new("Heat Loss to Room"),
            start: (285.0, 43.0),
            end: (243.0, 92.0),
        };
        assert_eq!(layout.connectors, vec![connector]);
    }

    #[test]
    fn a_file_without_views_has_no_layout() {
        assert_eq!(read_layout("<xmile><model><variables/></model></xmile>"), None);
        assert_eq!(read_layout("not xml"), None);
    }
}

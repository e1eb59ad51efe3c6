//! Conveyors as XMILE writes them (sections 3.7.2, 4.2.1 and 4.3): the options read into the
//! model, leaks marked or found by convention, queues and their overflows, and what is refused.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use fulcrum_model::{Code, Diagnostics, Model};

const SPECS: &str = "<sim_specs><start>0</start><stop>10</stop><dt>0.5</dt></sim_specs>";

fn xmile(variables: &str) -> String {
    format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">{SPECS}\
         <model><variables>{variables}</variables></model></xmile>"
    )
}

fn read(variables: &str) -> Model {
    let (model, diagnostics) = fulcrum_xmile::read(&xmile(variables)).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    model
}

fn refused(variables: &str) -> (String, Diagnostics) {
    let text = xmile(variables);
    // Refused by the reader, or else when the model is resolved.
    let diagnostics = match fulcrum_xmile::read(&text) {
        Ok((model, diagnostics)) if !diagnostics.has_errors() => {
            fulcrum_model::resolve(&model).err().unwrap_or(diagnostics)
        }
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    assert!(diagnostics.has_errors(), "accepted: {text}");
    (text, diagnostics)
}

#[test]
fn the_standards_example_reads_with_its_options() {
    let model = read(
        "<stock name=\"Students\"><eqn>1000</eqn><inflow>matriculating</inflow><outflow>graduating</outflow>\
         <outflow>attriting</outflow>\
         <conveyor discrete=\"true\" exponential_leak=\"true\"><len>4</len><capacity>1200</capacity>\
         <arrest>TIME > 5</arrest><sample>TIME > 2</sample></conveyor></stock>\
         <flow name=\"matriculating\"><eqn>250</eqn></flow><flow name=\"graduating\"/>\
         <flow name=\"attriting\" leak_end=\"0.25\"><leak>0.1</leak><leak_integers/></flow>",
    );
    let conveyor = model.variable("Students").and_then(|v| v.conveyor.as_ref()).expect("a conveyor");
    let text = |equation: &Option<fulcrum_model::Equation>| equation.as_ref().map(|e| e.text.trim().to_owned());
    assert_eq!(text(&conveyor.transit_time).as_deref(), Some("4"));
    assert_eq!(text(&conveyor.capacity).as_deref(), Some("1200"));
    assert_eq!(text(&conveyor.arrest).as_deref(), Some("TIME > 5"));
    assert_eq!(text(&conveyor.sample).as_deref(), Some("TIME > 2"));
    assert!(conveyor.discrete && conveyor.exponential_leak && conveyor.inflow_limit.is_none());
    let leak = model.variable("attriting").and_then(|v| v.leak.as_ref()).expect("a leak");
    assert_eq!(text(&leak.fraction).as_deref(), Some("0.1"));
    assert_eq!((leak.zone_start, leak.zone_end, leak.integers), (0.0, 0.25, true));
    assert!(model.variable("graduating").is_some_and(|v| v.leak.is_none()));
    assert!(fulcrum_model::resolve(&model).is_ok());
}

#[test]
fn without_marks_the_outflows_after_the_first_are_leaks_that_need_a_fraction() {
    let model = read(
        "<stock name=\"Belt\"><eqn>0</eqn><outflow>out</outflow><outflow>spill</outflow>\
         <conveyor><len>2</len></conveyor></stock><flow name=\"out\"/><flow name=\"spill\"/>",
    );
    assert!(model.variable("out").is_some_and(|v| v.leak.is_none()));
    let leak = model.variable("spill").and_then(|v| v.leak.as_ref()).expect("a leak by convention");
    assert!(leak.fraction.is_none());
    let errors = fulcrum_model::resolve(&model).expect_err("a leak without a fraction does not simulate");
    assert!(errors.0.iter().any(|d| d.code == Code::MissingEquation), "{errors:?}");
}

#[test]
fn a_conveyor_without_a_transit_time_is_refused_where_it_is_written() {
    let (text, diagnostics) = refused(
        "<stock name=\"Belt\"><eqn>0</eqn><outflow>out</outflow><conveyor><capacity>5</capacity></conveyor></stock>\
         <flow name=\"out\"/>",
    );
    let diagnostic = diagnostics.0.iter().find(|d| d.code == Code::MissingKey).expect("a missing transit time");
    let span = diagnostic.span.expect("located");
    assert!(text[span.start()..].starts_with("<conveyor>"), "{diagnostic:?}");
    assert!(diagnostic.help.as_deref().is_some_and(|help| help.contains("<len>")));
}

#[test]
fn a_second_queue_outflow_that_is_no_overflow_is_refused() {
    let (_, diagnostics) = refused(
        "<stock name=\"Line\"><eqn>0</eqn><outflow>out</outflow><outflow>other</outflow><queue/></stock>\
         <flow name=\"out\"/><flow name=\"other\"/>",
    );
    assert!(
        diagnostics.0.iter().any(|d| d.code == Code::Unsupported && d.message.contains("further outflow")),
        "{diagnostics:?}"
    );
}

#[test]
fn a_queue_flow_said_to_flow_both_ways_is_refused_where_it_says_so() {
    // XMILE 4.3: a queue's inflows must be non-negative, its outflows are so by definition.
    let (text, diagnostics) = refused(
        "<stock name=\"Line\"><eqn>0</eqn><inflow>arriving</inflow><outflow>out</outflow><queue/></stock>\
         <flow name=\"arriving\"><eqn>1</eqn><non_negative>false</non_negative></flow>\
         <flow name=\"out\"><non_negative>false</non_negative></flow>\
         <flow name=\"elsewhere\"><eqn>-1</eqn><non_negative>false</non_negative></flow>",
    );
    let located: Vec<usize> = diagnostics
        .0
        .iter()
        .filter(|d| d.code == Code::InvalidValue && d.message.contains("flow both ways"))
        .map(|d| {
            let span = d.span.expect("located");
            assert!(text[span.start()..].starts_with("<non_negative>false"), "{d:?}");
            span.start()
        })
        .collect();
    // The inflow and the outflow; a biflow that is no flow of the queue is no problem.
    assert_eq!(located.len(), 2, "{diagnostics:?}");
}

#[test]
fn an_option_on_a_queue_is_refused_where_it_is_written() {
    let (text, diagnostics) = refused(
        "<stock name=\"Line\"><eqn>0</eqn><inflow>arriving</inflow><outflow>out</outflow>\
         <queue prioritize=\"true\"><priority_by>urgency</priority_by></queue></stock>\
         <flow name=\"arriving\"><eqn>1</eqn></flow><flow name=\"out\"/>",
    );
    let located: Vec<&str> = diagnostics
        .0
        .iter()
        .filter(|d| d.code == Code::Unsupported && d.message.contains("option"))
        .map(|d| {
            let span = d.span.expect("located");
            &text[span.start()..span.end()]
        })
        .collect();
    assert_eq!(located.len(), 2, "{diagnostics:?}");
    assert!(located[0].starts_with("prioritize"), "{located:?}");
    assert!(located[1].starts_with("<priority_by>"), "{located:?}");
}

#[test]
fn an_option_on_a_conveyor_fulcrum_does_not_simulate_is_refused_where_it_is_written() {
    let (text, diagnostics) = refused(
        "<stock name=\"Belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
         <conveyor discrete=\"true\" surge=\"true\"><len>2</len><jitter>0.1</jitter></conveyor></stock>\
         <flow name=\"entering\"><eqn>1</eqn></flow><flow name=\"leaving\"/>",
    );
    let located: Vec<&str> = diagnostics
        .0
        .iter()
        .filter(|d| d.code == Code::Unsupported && d.message.contains("conveyor `Belt` has the option"))
        .map(|d| {
            let span = d.span.expect("located");
            &text[span.start()..span.end()]
        })
        .collect();
    assert_eq!(located.len(), 2, "{diagnostics:?}");
    assert!(located[0].starts_with("surge"), "{located:?}");
    assert!(located[1].starts_with("<jitter>"), "{located:?}");
    // The options the standard names, and Stella's force_leak_fraction, are read.
    read(
        "<stock name=\"Belt\"><eqn>0</eqn><inflow>entering</inflow><outflow>leaving</outflow>\
         <outflow>losing</outflow><conveyor discrete=\"false\" batch_integrity=\"false\" one_at_a_time=\"true\" \
         exponential_leak=\"false\" force_leak_fraction=\"true\"><len>2</len><capacity>10</capacity>\
         <in_limit>5</in_limit><sample>1</sample><arrest>0</arrest></conveyor></stock>\
         <flow name=\"entering\"><eqn>1</eqn></flow><flow name=\"leaving\"/>\
         <flow name=\"losing\"><eqn>0.1</eqn><leak/></flow>",
    );
}

#[test]
fn a_leak_zone_must_start_before_it_ends() {
    let (_, diagnostics) = refused(
        "<stock name=\"Belt\"><eqn>0</eqn><outflow>out</outflow><outflow>spill</outflow><conveyor><len>2</len></conveyor>\
         </stock><flow name=\"out\"/><flow name=\"spill\" leak_start=\"0.8\" leak_end=\"0.2\"><leak>0.1</leak></flow>",
    );
    assert!(diagnostics.0.iter().any(|d| d.code == Code::InvalidValue && d.help.is_some()), "{diagnostics:?}");
}

#[test]
fn a_queue_with_an_overflow_feeds_a_conveyor() {
    let model = read(
        "<stock name=\"Line\"><eqn>0</eqn><inflow>arriving</inflow><outflow>boarding</outflow>\
         <outflow>turned_away</outflow><queue/></stock>\
         <flow name=\"arriving\"><eqn>6</eqn></flow><flow name=\"boarding\"/>\
         <flow name=\"turned away\"><overflow/></flow>\
         <stock name=\"Belt\"><eqn>0</eqn><inflow>boarding</inflow><outflow>landing</outflow>\
         <conveyor batch_integrity=\"true\" one_at_a_time=\"true\"><len>2</len><in_limit>4</in_limit></conveyor></stock>\
         <flow name=\"landing\"/>",
    );
    assert!(model.variable("Line").is_some_and(|v| v.queue.is_some()));
    assert!(model.variable("turned away").is_some_and(|v| v.overflow));
    let conveyor = model.variable("Belt").and_then(|v| v.conveyor.as_ref()).expect("a conveyor");
    assert!(conveyor.batch_integrity && conveyor.one_at_a_time);
    assert!(fulcrum_model::resolve(&model).is_ok());
}

#[test]
fn a_queues_overflow_may_board_another_conveyor() {
    let model = read(
        "<stock name=\"Line\"><eqn>0</eqn><inflow>arriving</inflow><outflow>boarding</outflow>\
         <outflow>side_boarding</outflow><queue/></stock>\
         <flow name=\"arriving\"><eqn>6</eqn></flow><flow name=\"boarding\"/>\
         <flow name=\"side boarding\"><overflow/></flow>\
         <stock name=\"Belt\"><eqn>0</eqn><inflow>boarding</inflow><outflow>landing</outflow>\
         <conveyor><len>2</len><in_limit>4</in_limit></conveyor></stock><flow name=\"landing\"/>\
         <stock name=\"Side belt\"><eqn>0</eqn><inflow>side_boarding</inflow><outflow>side_landing</outflow>\
         <conveyor><len>1</len><in_limit>1</in_limit></conveyor></stock><flow name=\"side landing\"/>",
    );
    assert!(model.variable("side boarding").is_some_and(|v| v.overflow));
    assert!(fulcrum_model::resolve(&model).is_ok());
}

#[test]
fn a_conveyor_may_take_several_whole_batches_at_a_time() {
    let model = read(
        "<stock name=\"Line\"><eqn>0</eqn><inflow>arriving</inflow><outflow>boarding</outflow><queue/></stock>\
         <flow name=\"arriving\"><eqn>6</eqn></flow><flow name=\"boarding\"/>\
         <stock name=\"Belt\"><eqn>0</eqn><inflow>boarding</inflow><outflow>landing</outflow>\
         <conveyor batch_integrity=\"true\" one_at_a_time=\"false\"><len>2</len><in_limit>4</in_limit></conveyor>\
         </stock><flow name=\"landing\"/>",
    );
    let conveyor = model.variable("Belt").and_then(|v| v.conveyor.as_ref()).expect("a conveyor");
    assert!(conveyor.batch_integrity && !conveyor.one_at_a_time);
    assert!(fulcrum_model::resolve(&model).is_ok());
}

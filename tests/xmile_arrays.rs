//! Stella's array constructs in hand-written XMILE (XMILE 1.0 section 3.7.1): subranges (a
//! dimension whose elements are all elements of another, matched by name) and a variable
//! arrayed over one dimension twice.

/// A file whose root model has these dimensions and variables, run from 0 to 1 with dt 1.
fn xmile(dimensions: &str, variables: &str) -> String {
    format!(
        "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
         <sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs>\
         <dimensions>{dimensions}</dimensions><model><variables>{variables}</variables></model></xmile>"
    )
}

/// The value of each name at the start time.
fn at_start(text: &str, names: &[&str]) -> Vec<f64> {
    let (model, diagnostics) = fulcrum_xmile::read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    names.iter().map(|name| results.series(name).unwrap_or_else(|| panic!("no series {name}"))[0]).collect()
}

/// Stella's own example of subranges: four stores, the two with a bakery, and the four in
/// reverse order.
const STORES: &str = "<dim name=\"Store\"><elem name=\"Downtown\"/><elem name=\"Glendale\"/>\
    <elem name=\"Landsdown\"/><elem name=\"Whyte\"/></dim>\
    <dim name=\"StoreWithBakery\"><elem name=\"Downtown\"/><elem name=\"Landsdown\"/></dim>\
    <dim name=\"BackStore\"><elem name=\"Whyte\"/><elem name=\"Landsdown\"/><elem name=\"Glendale\"/>\
    <elem name=\"Downtown\"/></dim>";

/// Sales of 10, 20, 30 and 40 at the four stores.
const SALES: &str = "<aux name=\"sales\"><dimensions><dim name=\"Store\"/></dimensions>\
    <element subscript=\"Downtown\"><eqn>10</eqn></element><element subscript=\"Glendale\"><eqn>20</eqn></element>\
    <element subscript=\"Landsdown\"><eqn>30</eqn></element><element subscript=\"Whyte\"><eqn>40</eqn></element></aux>";

fn arrayed(name: &str, dimension: &str, equation: &str) -> String {
    format!("<aux name=\"{name}\"><dimensions><dim name=\"{dimension}\"/></dimensions><eqn>{equation}</eqn></aux>")
}

#[test]
fn a_subrange_selects_the_parent_elements_of_the_same_names() {
    let variables = [
        SALES.to_owned(),
        // Named in brackets and left out: Downtown's 10 and Landsdown's 30 either way.
        arrayed("planned", "StoreWithBakery", "sales[StoreWithBakery]"),
        arrayed("implied", "StoreWithBakery", "sales * 2"),
        // In reverse order: Whyte 40, Landsdown 30, Glendale 20, Downtown 10.
        arrayed("reversed", "BackStore", "sales"),
        // And back to Store by name: the sales again.
        arrayed("restored", "Store", "reversed"),
        // The parent read at the subrange's elements: 10 + 30.
        "<aux name=\"bakery_sales\"><eqn>SUM(sales[StoreWithBakery])</eqn></aux>".to_owned(),
        "<aux name=\"planned_total\"><eqn>SUM(planned)</eqn></aux>".to_owned(),
        // A subrange variable read by the parent's element name: Landsdown is planned[2].
        "<aux name=\"one\"><eqn>planned[Landsdown]</eqn></aux>".to_owned(),
    ]
    .concat();
    let names = [
        "planned[Downtown]",
        "planned[Landsdown]",
        "implied[Downtown]",
        "implied[Landsdown]",
        "reversed[Whyte]",
        "reversed[Landsdown]",
        "reversed[Glendale]",
        "reversed[Downtown]",
        "restored[Downtown]",
        "restored[Glendale]",
        "restored[Landsdown]",
        "restored[Whyte]",
        "bakery_sales",
        "planned_total",
        "one",
    ];
    let values = at_start(&xmile(STORES, &variables), &names);
    let expected = [10.0, 30.0, 20.0, 60.0, 40.0, 30.0, 20.0, 10.0, 10.0, 20.0, 30.0, 40.0, 40.0, 40.0, 30.0];
    assert_eq!(values, expected);
}

#[test]
fn an_element_outside_a_subrange_is_a_located_error() {
    // Glendale has no bakery, so a variable over the subrange has no Glendale element.
    let variables = [SALES.to_owned(), arrayed("planned", "StoreWithBakery", "sales"), {
        "<aux name=\"missing\"><eqn>planned[Glendale]</eqn></aux>".to_owned()
    }]
    .concat();
    let (model, _) = fulcrum_xmile::read(&xmile(STORES, &variables)).expect("reads");
    let diagnostics = fulcrum_model::resolve(&model).expect_err("Glendale is not in StoreWithBakery");
    let error = diagnostics.0.iter().find(|d| d.message.contains("Glendale")).expect("names the element");
    assert!(error.span.is_some(), "{error:?}");
}

#[test]
fn an_unsubscripted_reference_in_a_variable_over_one_dimension_twice_reads_the_first() {
    // v[c] = 1, 2, 3; in sc[C, C] a bare `v` or `v[C]` stands at the first C (the row), and
    // so does the dimension name as a value: sc[c2, c3] = 2 × 100 + 2 × 10 + 2 (XMILE reaches the
    // second C with `@2`, which fulcrum does not read).
    let dimensions = "<dim name=\"C\"><elem name=\"c1\"/><elem name=\"c2\"/><elem name=\"c3\"/></dim>";
    let variables = [
        arrayed("v", "C", "C"),
        "<aux name=\"sc\"><dimensions><dim name=\"C\"/><dim name=\"C\"/></dimensions>\
         <eqn>v * 100 + v[C] * 10 + C</eqn></aux>"
            .to_owned(),
    ]
    .concat();
    let values = at_start(&xmile(dimensions, &variables), &["sc[c2,c3]", "sc[c3,c1]", "sc[c1,c1]"]);
    assert_eq!(values, [222.0, 333.0, 111.0]);
}

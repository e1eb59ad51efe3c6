//! Stella's array constructs in hand-written XMILE (XMILE 1.0 section 3.7.1): subranges (a
//! dimension whose elements are all elements of another, matched by name), a variable
//! arrayed over one dimension twice, the dimension position operator `@n` and ranges `a[1:3]`.

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
    // second C with `@2`: see the next test).
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

/// The errors resolving the file reports: (code, message) of each.
fn resolve_errors(text: &str) -> Vec<(fulcrum_model::Code, String, bool)> {
    let (model, diagnostics) = fulcrum_xmile::read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let diagnostics = fulcrum_model::resolve(&model).expect_err("refused");
    diagnostics.0.iter().map(|d| (d.code, d.message.clone(), d.span.is_some())).collect()
}

const C3: &str = "<dim name=\"C\"><elem name=\"c1\"/><elem name=\"c2\"/><elem name=\"c3\"/></dim>";

#[test]
fn at_n_stands_for_the_element_of_the_n_th_dimension_of_the_variable_defined() {
    // v[C] = 1, 2, 3. In sc[C, C], v[@1] is the row's value and v[@2] the column's:
    // sc[c2, c3] = 2 × 10 + 3 = 23, sc[c3, c1] = 31, sc[c1, c1] = 11.
    let variables = [
        arrayed("v", "C", "C"),
        "<aux name=\"sc\"><dimensions><dim name=\"C\"/><dim name=\"C\"/></dimensions>\
         <eqn>v[@1] * 10 + v[@2]</eqn></aux>"
            .to_owned(),
    ]
    .concat();
    let values = at_start(&xmile(C3, &variables), &["sc[c2,c3]", "sc[c3,c1]", "sc[c1,c1]", "sc[c1,c2]"]);
    assert_eq!(values, [23.0, 31.0, 11.0, 12.0]);
}

#[test]
fn at_n_transposes_as_the_standard_s_example_does() {
    // XMILE 3.7.1.1: A over M × N × N assigned to B over N × N × M with A[M, @1, @2], and
    // A[@3, @2, @1], which reverses the dimensions. A[m, i, j] = 100 m + 10 i + j, built itself
    // with @2 and @3; so B[i, j, m] = A[m, i, j] and R[i, j, m] = A[m, j, i].
    let dimensions = "<dim name=\"M\"><elem name=\"m1\"/><elem name=\"m2\"/></dim>\
        <dim name=\"N\"><elem name=\"n1\"/><elem name=\"n2\"/><elem name=\"n3\"/></dim>";
    let over = |name: &str, dims: [&str; 3], equation: &str| {
        format!(
            "<aux name=\"{name}\"><dimensions><dim name=\"{}\"/><dim name=\"{}\"/><dim name=\"{}\"/></dimensions>\
             <eqn>{equation}</eqn></aux>",
            dims[0], dims[1], dims[2]
        )
    };
    let variables = [
        arrayed("mv", "M", "M"),
        arrayed("nv", "N", "N"),
        over("A", ["M", "N", "N"], "mv * 100 + nv[@2] * 10 + nv[@3]"),
        over("B", ["N", "N", "M"], "A[M, @1, @2]"),
        over("R", ["N", "N", "M"], "A[@3, @2, @1]"),
    ]
    .concat();
    let names = ["A[m2,n1,n3]", "B[n1,n3,m2]", "B[n3,n1,m1]", "R[n1,n3,m2]", "R[n3,n2,m1]"];
    let values = at_start(&xmile(dimensions, &variables), &names);
    assert_eq!(values, [213.0, 213.0, 131.0, 231.0, 123.0]);
}

#[test]
fn at_n_beyond_the_variable_s_dimensions_is_a_located_error() {
    let variables = [
        arrayed("v", "C", "C"),
        "<aux name=\"sc\"><dimensions><dim name=\"C\"/><dim name=\"C\"/></dimensions>\
         <eqn>v[@3]</eqn></aux>"
            .to_owned(),
    ]
    .concat();
    let errors = resolve_errors(&xmile(C3, &variables));
    let error = errors.iter().find(|(_, message, _)| message.contains("`@3`")).expect("names `@3`");
    assert_eq!(error.0, fulcrum_model::Code::InvalidArgument);
    assert!(error.2, "located: {error:?}");
}

#[test]
fn ranges_select_elements_by_position_or_name_inside_array_functions() {
    // sales = 10, 20, 30, 40 over Downtown, Glendale, Landsdown, Whyte.
    let variables = [
        SALES.to_owned(),
        "<aux name=\"first_three\"><eqn>SUM(sales[1:3])</eqn></aux>".to_owned(),
        "<aux name=\"by_name\"><eqn>SUM(sales[Glendale:Whyte])</eqn></aux>".to_owned(),
        "<aux name=\"middle_mean\"><eqn>MEAN(sales[2:3])</eqn></aux>".to_owned(),
        "<aux name=\"first_two_max\"><eqn>MAX(sales[1:2])</eqn></aux>".to_owned(),
        "<aux name=\"last_three_size\"><eqn>SIZE(sales[2:4])</eqn></aux>".to_owned(),
        "<aux name=\"one\"><eqn>SUM(sales[4:4])</eqn></aux>".to_owned(),
        // Two ranges over one dimension go together, element by element: 10² + 20².
        "<aux name=\"squares\"><eqn>SUM(sales[1:2] * sales[1:2])</eqn></aux>".to_owned(),
        // In an equation arrayed over the same dimension the range still iterates.
        arrayed("everywhere", "Store", "SUM(sales[3:4]) + sales"),
    ]
    .concat();
    let names = [
        "first_three",
        "by_name",
        "middle_mean",
        "first_two_max",
        "last_three_size",
        "one",
        "squares",
        "everywhere[Downtown]",
        "everywhere[Whyte]",
    ];
    let values = at_start(&xmile(STORES, &variables), &names);
    assert_eq!(values, [60.0, 90.0, 25.0, 20.0, 3.0, 40.0, 500.0, 80.0, 110.0]);
}

#[test]
fn ranges_slice_one_dimension_of_a_matrix() {
    // m[r, c] = 10 r + c over R = r1..r3 and C = c1..c3.
    let dimensions = format!("{C3}<dim name=\"R\"><elem name=\"r1\"/><elem name=\"r2\"/><elem name=\"r3\"/></dim>");
    let variables = [
        arrayed("rv", "R", "R"),
        arrayed("cv", "C", "C"),
        "<aux name=\"m\"><dimensions><dim name=\"R\"/><dim name=\"C\"/></dimensions>\
         <eqn>rv * 10 + cv</eqn></aux>"
            .to_owned(),
        // Rows 1 and 2, every column: 11+12+13 + 21+22+23.
        "<aux name=\"top\"><eqn>SUM(m[1:2, *])</eqn></aux>".to_owned(),
        // Row 3, columns 2 and 3: 32 + 33.
        "<aux name=\"corner\"><eqn>SUM(m[3, 2:3])</eqn></aux>".to_owned(),
        // Rows 2 to 3 and columns 1 to 2: 21 + 22 + 31 + 32.
        "<aux name=\"block\"><eqn>SUM(m[r2:r3, 1:2])</eqn></aux>".to_owned(),
    ]
    .concat();
    let values = at_start(&xmile(&dimensions, &variables), &["top", "corner", "block"]);
    assert_eq!(values, [102.0, 65.0, 106.0]);
}

#[test]
fn a_range_in_an_arrayed_equation_is_assigned_element_by_element() {
    // sales = 10, 20, 30, 40. Over Store itself the full range copies it; over a dimension of
    // two elements, sales[2:3] gives 20 and 30, and sales[2:4] is cut to its first two; by
    // element names as well.
    let dimensions = format!("{STORES}<dim name=\"Pair\"><elem name=\"p1\"/><elem name=\"p2\"/></dim>");
    let variables = [
        SALES.to_owned(),
        arrayed("copied", "Store", "sales[1:4] * 2"),
        arrayed("middle", "Pair", "sales[2:3]"),
        arrayed("cut", "Pair", "sales[2:4] + 1"),
        arrayed("named", "Pair", "sales[Landsdown:Whyte]"),
    ]
    .concat();
    let names = [
        "copied[Downtown]",
        "copied[Whyte]",
        "middle[p1]",
        "middle[p2]",
        "cut[p1]",
        "cut[p2]",
        "named[p1]",
        "named[p2]",
    ];
    let values = at_start(&xmile(&dimensions, &variables), &names);
    assert_eq!(values, [20.0, 80.0, 20.0, 30.0, 21.0, 31.0, 30.0, 40.0]);
}

#[test]
fn a_range_outside_an_array_function_or_with_bad_ends_is_a_located_error() {
    use fulcrum_model::Code;
    let variables = [
        SALES.to_owned(),
        // A scalar cannot hold a range, and three elements do not fill Store's four.
        "<aux name=\"scalar\"><eqn>sales[1:3]</eqn></aux>".to_owned(),
        arrayed("short", "Store", "sales[1:3]"),
        "<aux name=\"too_far\"><eqn>SUM(sales[2:5])</eqn></aux>".to_owned(),
        "<aux name=\"backwards\"><eqn>SUM(sales[3:1])</eqn></aux>".to_owned(),
        "<aux name=\"not_an_element\"><eqn>SUM(sales[Downtown:Nowhere])</eqn></aux>".to_owned(),
    ]
    .concat();
    let errors = resolve_errors(&xmile(STORES, &variables));
    let find = |text: &str| {
        errors.iter().find(|(_, message, _)| message.contains(text)).unwrap_or_else(|| panic!("{text}: {errors:?}"))
    };
    let outside = find("outside an array function it needs an equation arrayed over its dimension");
    assert_eq!(outside.0, Code::Unsupported);
    let short: Vec<_> = errors.iter().filter(|(_, message, _)| message.contains("this range has 3 elements")).collect();
    assert_eq!(short.len(), 1, "reported once: {errors:?}");
    assert_eq!(short[0].0, Code::InvalidArgument);
    let ends: Vec<_> = errors.iter().filter(|(_, message, _)| message.contains("a range's ends")).collect();
    assert_eq!(ends.len(), 2, "{errors:?}");
    assert!(ends.iter().all(|(code, _, located)| *code == Code::InvalidArgument && *located));
    let backwards = find("ends before it starts");
    assert_eq!(backwards.0, Code::InvalidArgument);
    assert!(errors.iter().all(|(_, _, located)| *located), "{errors:?}");
}

//! Arrays: apply-to-all and per-element equations, implicit subscripts, slices, array
//! functions, arrayed stocks, and dimension mapping.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{Dialect, Model};

use crate::{compiled, run, series};

fn at_start(model: &Model, name: &str) -> f64 {
    series(&run(model), name)[0]
}

fn products() -> ModelBuilder {
    ModelBuilder::new(0.0, 2.0, 1.0)
        .dimension("Region", &["North", "South"])
        .dimension("Product", &["Pizza", "Salad", "Soup"])
        .aux("Price", "0")
        .over(&["Product"])
        .element(&["Pizza"], "10")
        .element(&["Salad"], "7")
        .element(&["Soup"], "4")
        .aux("Units", "1")
        .over(&["Region", "Product"])
        .element(&["South", "Salad"], "5")
}

#[test]
fn apply_to_all_equations_bind_dimensions_by_name() {
    let model = products().aux("Revenue", "Units * Price").over(&["Region", "Product"]).build();
    let results = run(&model);
    assert_eq!(results.series("Revenue[North,Pizza]").map(|s| s[0]), Some(10.0));
    assert_eq!(results.series("Revenue[South, Salad]").map(|s| s[0]), Some(35.0));
    assert_eq!(results.series("revenue[south,soup]").map(|s| s[0]), Some(4.0));
    // Every element is a column, in row-major order, named as written.
    let names: Vec<&str> = results.names().iter().map(String::as_str).filter(|n| n.starts_with("Revenue")).collect();
    assert_eq!(
        names,
        [
            "Revenue[North,Pizza]",
            "Revenue[North,Salad]",
            "Revenue[North,Soup]",
            "Revenue[South,Pizza]",
            "Revenue[South,Salad]",
            "Revenue[South,Soup]"
        ]
    );
}

#[test]
fn slices_and_array_functions() {
    let model = products()
        .aux("Total Units", "SUM(Units[*, *])")
        .aux("Regional Units", "SUM(Units[Region, *])")
        .over(&["Region"])
        .aux("Product Units", "SUM(Units[*, Product])")
        .over(&["Product"])
        .aux("Mean Price", "MEAN(Price)")
        .aux("Cheapest", "MIN(Price[*])")
        .aux("Dearest", "MAX(Price[*], 8)")
        .aux("Spread", "STDDEV(Price)")
        .aux("Count", "SIZE(Units)")
        .aux("Product of Prices", "PROD(Price[*])")
        .aux("Soup Units South", "Units[South, Soup] + Units[2, 3]")
        .aux("Revenue South", "SUM(Units[South, *] * Price[*])")
        .aux("Scalar Mean", "MEAN(1, 2, 3, 4, TIME)")
        .build();
    let results = run(&model);
    let first = |name: &str| results.series(name).map(|s| s[0]);
    assert_eq!(first("Total Units"), Some(10.0));
    assert_eq!(first("Regional Units[North]"), Some(3.0));
    assert_eq!(first("Regional Units[South]"), Some(7.0));
    assert_eq!(first("Product Units[Salad]"), Some(6.0));
    assert_eq!(first("Mean Price"), Some(7.0));
    assert_eq!(first("Cheapest"), Some(4.0));
    assert_eq!(first("Dearest"), Some(10.0));
    assert_eq!(first("Spread"), Some(6f64.sqrt()));
    assert_eq!(first("Count"), Some(6.0));
    assert_eq!(first("Product of Prices"), Some(280.0));
    assert_eq!(first("Soup Units South"), Some(2.0));
    assert_eq!(first("Revenue South"), Some(10.0 + 35.0 + 4.0));
    assert_eq!(results.series("Scalar Mean"), Some(&[2.0, 2.2, 2.4][..]));
}

#[test]
fn arrayed_stocks_flow_element_by_element() {
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .dimension("Team", &["A", "B"])
        .stock("Staff", "10", &["Hiring"], &[])
        .over(&["Team"])
        .flow("Hiring", "Rate * Staff")
        .over(&["Team"])
        .aux("Rate", "0")
        .over(&["Team"])
        .element(&["A"], "0.5")
        .element(&["B"], "0.1")
        .aux("Total", "SUM(Staff)")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "Staff[A]"), [10.0, 15.0, 22.5, 33.75]);
    let mut staff_b = vec![10.0];
    for _ in 0..3 {
        let last: f64 = staff_b[staff_b.len() - 1];
        staff_b.push(last + 1.0 * (0.1 * last));
    }
    assert_eq!(series(&results, "Staff[B]"), staff_b);
    assert_eq!(series(&results, "Total")[1], 26.0);
    // Stateful built-ins work element by element.
    let smoothed = ModelBuilder::new(0.0, 2.0, 1.0)
        .dimension("Team", &["A", "B"])
        .aux("Input", "0")
        .over(&["Team"])
        .element(&["A"], "10")
        .element(&["B"], "20")
        .aux("Perceived", "SMTH1(Input, 2, 0)")
        .over(&["Team"])
        .build();
    let results = run(&smoothed);
    assert_eq!(series(&results, "Perceived[A]"), [0.0, 5.0, 7.5]);
    assert_eq!(series(&results, "Perceived[B]"), [0.0, 10.0, 15.0]);
}

#[test]
fn dimensions_with_the_same_elements_map_onto_each_other() {
    // A transition matrix over two dimensions with identical elements: the sum over the
    // columns of row c times the category shares iterates both together.
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("Cats", &["c1", "c2"])
        .dimension("Dummy", &["c1", "c2"])
        .aux("Matrix", "0")
        .over(&["Cats", "Dummy"])
        .element(&["c1", "c1"], "1")
        .element(&["c1", "c2"], "2")
        .element(&["c2", "c1"], "3")
        .element(&["c2", "c2"], "4")
        .aux("Share", "0")
        .over(&["Cats"])
        .element(&["c1"], "10")
        .element(&["c2"], "100")
        .aux("Out", "SUM(Matrix[Cats, *:Dummy] * Share[*])")
        .over(&["Cats"])
        .aux("In", "SUM(Matrix[*, Dummy] * Share[*])")
        .over(&["Dummy"])
        .build();
    let results = run(&model);
    assert_eq!(results.series("Out[c1]").map(|s| s[0]), Some(1.0 * 10.0 + 2.0 * 100.0));
    assert_eq!(results.series("Out[c2]").map(|s| s[0]), Some(3.0 * 10.0 + 4.0 * 100.0));
    assert_eq!(results.series("In[c2]").map(|s| s[0]), Some(2.0 * 10.0 + 4.0 * 100.0));
}

#[test]
fn a_lower_rank_array_broadcasts_over_the_other_dimensions() {
    let model = products().aux("Price Grid", "Price * 2").over(&["Region", "Product"]).build();
    assert_eq!(at_start(&model, "Price Grid[South,Soup]"), 8.0);
}

#[test]
fn vensim_dialect_truncates_int_and_mod() {
    let model = |dialect| {
        ModelBuilder::new(0.0, 1.0, 1.0)
            .dialect(dialect)
            .aux("i", "INT(-9.5)")
            .aux("m", "-10 MOD 3")
            .aux("f", "MODULO(-10, 3)")
            .build()
    };
    let xmile = run(&model(Dialect::Xmile));
    assert_eq!([series(&xmile, "i")[0], series(&xmile, "m")[0], series(&xmile, "f")[0]], [-10.0, 2.0, 2.0]);
    let vensim = run(&model(Dialect::Vensim));
    assert_eq!([series(&vensim, "i")[0], series(&vensim, "m")[0], series(&vensim, "f")[0]], [-9.0, -1.0, -1.0]);
}

#[test]
fn array_mistakes_are_reported() {
    let cases: &[(&str, &str)] = &[
        ("Units", "is an array over `Region`"),
        ("Units[North]", "has 2 dimensions but is given 1 subscripts"),
        ("Units[North, Pasta]", "`Pasta` is neither a dimension nor an element"),
        ("Units[North, 4]", "subscript 4 is outside 1 to 3"),
        ("Units[*, Pizza]", "`*` stands for every element"),
        ("Price[Region]", "`Price` is an array over `Product`"),
        ("ALLOCATE_BY_PRIORITY(Price[Product], Price[Product], 3, 1, 5)", "gives one value per element"),
        ("ALLOCATE_AVAILABLE(Price[Product], Price[Product], 5)", "gives one value per element"),
        ("INVERT_MATRIX(Units, 2)", "gives a square matrix"),
    ];
    for (equation, message) in cases {
        let model = products().aux("Bad", equation).build();
        let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid");
        assert!(diagnostics.0.iter().any(|d| d.message.contains(message)), "{equation}: {diagnostics:?}");
    }
    let model = products().aux("Bad", "ALLOCATE_AVAILABLE(Price, Price, 5)").over(&["Product"]).build();
    let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid");
    assert!(diagnostics.0[0].message.contains("must name the first of four elements"), "{diagnostics:?}");
    let model = products().aux("Bad", "1").over(&["Colour"]).build();
    let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid");
    assert!(diagnostics.0[0].message.contains("unknown dimension `Colour`"), "{diagnostics:?}");
}

#[test]
fn arrayed_constants_can_be_set_one_element_at_a_time() {
    let model = products().aux("Revenue", "Units * Price").over(&["Region", "Product"]).build();
    let compiled = compiled(&model);
    let mut one = compiled.new_run();
    one.set("Price[Soup]", 6.0).expect("a constant element");
    let results = one.run().expect("runs");
    assert_eq!(results.series("Revenue[North,Soup]").map(|s| s[0]), Some(6.0));
}

#[test]
fn vensim_array_extremes_and_element_counts() {
    // VMIN and VMAX are MIN and MAX of an array; ELMCOUNT counts a dimension's elements.
    let model = products()
        .aux("Cheapest", "VMIN(Price[*])")
        .aux("Dearest", "VMAX(Price)")
        .aux("Most per region", "VMAX(Units[Region, *])")
        .over(&["Region"])
        .aux("Products", "ELMCOUNT(Product)")
        .aux("Cells", "ELMCOUNT(Region) * ELMCOUNT(Product)")
        .build();
    let results = run(&model);
    let first = |name: &str| results.series(name).map(|s| s[0]);
    assert_eq!(first("Cheapest"), Some(4.0));
    assert_eq!(first("Dearest"), Some(10.0));
    assert_eq!(first("Most per region[North]"), Some(1.0));
    assert_eq!(first("Most per region[South]"), Some(5.0));
    assert_eq!(first("Products"), Some(3.0));
    assert_eq!(first("Cells"), Some(6.0));
    // ELMCOUNT counts a dimension, not a variable.
    let diagnostics =
        fulcrum_model::resolve(&products().aux("Count", "ELMCOUNT(Price)").build()).expect_err("a variable");
    assert!(diagnostics.0.iter().any(|d| d.code == fulcrum_model::Code::InvalidArgument));
}

/// Four items: selections 0, 2, 0, 1 of the values 5, 3, 7, 4, and a selection of none.
fn selections() -> ModelBuilder {
    ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("Item", &["a", "b", "c", "d"])
        .aux("selection", "0")
        .over(&["Item"])
        .element(&["b"], "2")
        .element(&["d"], "1")
        .aux("none", "0")
        .over(&["Item"])
        .aux("values", "0")
        .over(&["Item"])
        .element(&["a"], "5")
        .element(&["b"], "3")
        .element(&["c"], "7")
        .element(&["d"], "4")
}

#[test]
fn vector_select_combines_the_selected_elements_by_its_action() {
    // Vensim's action codes: weighted by the selection (0-4), values ^ selection (5), the values
    // themselves (6-10).
    let expected = [10.0, 24.0, 4.0, 6.0, 5.0, 36.0, 7.0, 12.0, 3.0, 4.0, 3.5];
    let mut model = selections().constant("SUM ACTION", 0.0);
    for action in 0..expected.len() {
        let code = if action == 0 { "SUM_ACTION".to_owned() } else { action.to_string() };
        model = model.aux(&format!("out {action}"), &format!("VECTOR_SELECT(selection[*], values[*], -1, {code}, 0)"));
    }
    model = model.aux("nothing selected", "VECTOR_SELECT(none[*], values[*], -1, 0, 0)");
    // One selection per row of a matrix: the row's own dimension stays bound.
    let model = model
        .dimension("Row", &["r1", "r2"])
        .aux("matrix", "0")
        .over(&["Row", "Item"])
        .element(&["r1", "a"], "1")
        .element(&["r2", "c"], "1")
        .element(&["r2", "d"], "2")
        .aux("per row", "VECTOR_SELECT(matrix[Row, *], values[*], -1, 0, 0)")
        .over(&["Row"])
        .build();
    let results = run(&model);
    for (action, value) in expected.iter().enumerate() {
        assert_eq!(results.series(&format!("out {action}")).map(|s| s[0]), Some(*value), "action {action}");
    }
    assert_eq!(results.series("nothing selected").map(|s| s[0]), Some(-1.0));
    assert_eq!(results.series("per row[r1]").map(|s| s[0]), Some(5.0));
    assert_eq!(results.series("per row[r2]").map(|s| s[0]), Some(15.0));
}

#[test]
fn vector_select_fails_the_run_as_its_error_action_asks() {
    let outcome = |equation: &str| compiled(&selections().aux("y", equation).build()).new_run().run();
    // Nothing selected, with error action 1 or 3: the run stops at `y`.
    for equation in ["VECTOR_SELECT(none[*], values[*], -1, 0, 1)", "VECTOR_SELECT(none[*], values[*], -1, 0, 3)"] {
        let error = outcome(equation).expect_err(equation);
        assert!(error.to_string().contains('y'), "{equation}: {error}");
    }
    // Two selected, with error action 2 or 3.
    assert!(outcome("VECTOR_SELECT(selection[*], values[*], -1, 0, 2)").is_err());
    assert!(outcome("VECTOR_SELECT(selection[*], values[*], -1, 0, 3)").is_err());
    // Error action 0, or 1 with something selected, runs.
    assert!(outcome("VECTOR_SELECT(selection[*], values[*], -1, 0, 1)").is_ok());
    // The action may change during the run, as in the suite's vector_select model; a number
    // that is not an action makes the run fail.
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .dimension("Item", &["a", "b", "c", "d"])
        .aux("selection", "0")
        .over(&["Item"])
        .element(&["b"], "2")
        .element(&["d"], "1")
        .aux("values", "0")
        .over(&["Item"])
        .element(&["a"], "5")
        .element(&["b"], "3")
        .element(&["c"], "7")
        .element(&["d"], "4")
        .aux("y", "VECTOR_SELECT(selection[*], values[*], -1, TIME, 0)")
        .build();
    assert_eq!(series(&run(&model), "y"), [10.0, 24.0, 4.0, 6.0, 5.0]);
    assert!(outcome("VECTOR_SELECT(selection[*], values[*], -1, 11, 0)").is_err());
}

#[test]
fn vector_sort_order_rank_reorder_and_elm_map_follow_vensims_examples() {
    // The example of Vensim's documentation, with three companies.
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .dimension("company", &["c1", "c2", "c3"])
        .aux("revenue", "0")
        .over(&["company"])
        .element(&["c1"], "5000")
        .element(&["c2"], "3000")
        .element(&["c3"], "8000")
        .aux("rank", "VECTOR_RANK(revenue[company], 1)")
        .over(&["company"])
        .aux("rank down", "VECTOR_RANK(revenue[company], -1)")
        .over(&["company"])
        .aux("so", "VECTOR_SORT_ORDER(revenue[company], 1)")
        .over(&["company"])
        .aux("sorted", "VECTOR_REORDER(revenue[company], so[company])")
        .over(&["company"])
        .aux("minrev", "VECTOR_ELM_MAP(revenue[c1], so[c1])")
        .aux("medrev", "VECTOR_ELM_MAP(revenue[c1], so[c2])")
        .aux("maxrev", "VECTOR_ELM_MAP(revenue[c1], so[c3])")
        .aux("cycling", "VECTOR_ELM_MAP(revenue[c1], MODULO(TIME, 3))")
        .dimension("Row", &["r1", "r2"])
        .aux("grid", "0")
        .over(&["Row", "company"])
        .element(&["r1", "c2"], "7")
        .element(&["r2", "c1"], "9")
        .element(&["r2", "c2"], "5")
        .element(&["r2", "c3"], "-1")
        .aux("row order", "VECTOR_SORT_ORDER(grid[Row, company], 1)")
        .over(&["Row", "company"])
        .aux("fifth", "VECTOR_ELM_MAP(grid[r1, c1], 4)")
        .build();
    let results = run(&model);
    let at = |name: &str, step: usize| results.series(name).map(|s| s[step]).unwrap_or(f64::NAN);
    let row = |name: &str| ["c1", "c2", "c3"].map(|c| at(&format!("{name}[{c}]"), 0));
    assert_eq!(row("rank"), [2.0, 1.0, 3.0]);
    assert_eq!(row("rank down"), [2.0, 3.0, 1.0]);
    assert_eq!(row("so"), [1.0, 0.0, 2.0]);
    assert_eq!(row("sorted"), [3000.0, 5000.0, 8000.0]);
    assert_eq!([at("minrev", 0), at("medrev", 0), at("maxrev", 0)], [3000.0, 5000.0, 8000.0]);
    assert_eq!((0..4).map(|step| at("cycling", step)).collect::<Vec<_>>(), [5000.0, 3000.0, 8000.0, 5000.0]);
    // Sorted along the last dimension, row by row: r1 is 0, 7, 0 and r2 is 9, 5, -1.
    let grid_row = |r: &str| ["c1", "c2", "c3"].map(|c| at(&format!("row order[{r},{c}]"), 0));
    assert_eq!(grid_row("r1"), [0.0, 2.0, 1.0]);
    assert_eq!(grid_row("r2"), [2.0, 1.0, 0.0]);
    // Offsets count through the whole array in row-major order: 4 after [r1, c1] is [r2, c2].
    assert_eq!(at("fifth", 0), 5.0);
    // An offset past the end makes the run fail at that variable.
    let past = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("company", &["c1", "c2", "c3"])
        .aux("revenue", "1")
        .over(&["company"])
        .aux("y", "VECTOR_ELM_MAP(revenue[c2], 2)")
        .build();
    let error = compiled(&past).new_run().run().expect_err("past the end");
    assert!(error.to_string().contains('y'), "{error}");
    // The direction must be known before the run.
    let diagnostics = fulcrum_model::resolve(
        &ModelBuilder::new(0.0, 1.0, 1.0)
            .dimension("company", &["c1", "c2"])
            .aux("revenue", "1")
            .over(&["company"])
            .aux("y", "VECTOR_RANK(revenue[company], TIME)")
            .over(&["company"])
            .build(),
    )
    .expect_err("a changing direction");
    assert!(diagnostics.0.iter().any(|d| d.code == fulcrum_model::Code::InvalidArgument));
}

#[test]
fn vector_select_action_5_raises_the_values_to_the_selections_as_vensim_does() {
    // `Aout1 1` of the suite's vector_select test: Vensim's output is 1.76037, which is
    // Π value^selection (the documentation says selection^value, which would be NaN here).
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("dim1", &["A1", "A2", "A3", "A4", "A5"])
        .aux("selection", "0")
        .over(&["dim1"])
        .element(&["A1"], "1")
        .element(&["A2"], "0.3")
        .element(&["A3"], "-1")
        .element(&["A4"], "0.5")
        .element(&["A5"], "1")
        .aux("input", "0")
        .over(&["dim1"])
        .element(&["A1"], "0.5")
        .element(&["A2"], "1.2")
        .element(&["A3"], "0.3")
        .element(&["A4"], "1")
        .element(&["A5"], "1")
        .aux("y", "VECTOR_SELECT(selection[*], input[*], -12345, 5, 0)")
        .build();
    let value = at_start(&model, "y");
    assert!((value - 1.76037).abs() < 5e-6, "{value}");
}

#[test]
fn vector_rank_and_sort_order_agree_with_the_suites_vensim_output() {
    // The one-dimensional part of the suite's vector_order model at its first two times. Its
    // revenue comes from a spreadsheet; the values here are what Vensim's REORDERed output shows
    // sorted: -25, 18, 27, -2, 2 at time 0 and 60, 5, -15, 100, 26 at time 1.
    let revenue = |company: usize| {
        let (first, second) = ([-25.0, 18.0, 27.0, -2.0, 2.0][company], [60.0, 5.0, -15.0, 100.0, 26.0][company]);
        format!("IF TIME < 1 THEN {first} ELSE {second}")
    };
    let companies = ["company1", "company2", "company3", "company4", "company5"];
    let mut model =
        ModelBuilder::new(0.0, 1.0, 1.0).dimension("company", &companies).aux("revenue", "0").over(&["company"]);
    for (index, company) in companies.iter().enumerate() {
        model = model.element(&[company], &revenue(index));
    }
    let model = model
        .aux("rank", "VECTOR_RANK(revenue[company], 1)")
        .over(&["company"])
        .aux("sort order", "VECTOR_SORT_ORDER(revenue[company], 1)")
        .over(&["company"])
        .aux("sort order neg", "VECTOR_SORT_ORDER(revenue[company], 0)")
        .over(&["company"])
        .aux("sorted", "VECTOR_REORDER(revenue[company], sort_order[company])")
        .over(&["company"])
        .build();
    let results = run(&model);
    let column = |name: &str, step: usize| {
        companies.map(|c| results.series(&format!("{name}[{c}]")).map_or(f64::NAN, |s| s[step]))
    };
    // Vensim's output (output.tab), element by element.
    assert_eq!(column("rank", 0), [1.0, 4.0, 5.0, 2.0, 3.0]);
    assert_eq!(column("rank", 1), [4.0, 2.0, 1.0, 5.0, 3.0]);
    assert_eq!(column("sort order", 0), [0.0, 3.0, 4.0, 1.0, 2.0]);
    assert_eq!(column("sort order", 1), [2.0, 1.0, 4.0, 0.0, 3.0]);
    assert_eq!(column("sort order neg", 0), [2.0, 1.0, 4.0, 3.0, 0.0]);
    assert_eq!(column("sort order neg", 1), [3.0, 0.0, 4.0, 1.0, 2.0]);
    assert_eq!(column("sorted", 0), [-25.0, -2.0, 2.0, 18.0, 27.0]);
    assert_eq!(column("sorted", 1), [-15.0, 5.0, 26.0, 60.0, 100.0]);
}

/// An arrayed table, each element with its own points (as Vensim and the TOML format write it),
/// read at an element the call names — also inside a sum over the table's dimension — and at the
/// element being computed.
#[test]
fn arrayed_tables_are_read_at_the_element_a_call_names() {
    let text = r#"
[sim]
start = 0
stop = 1
dt = 1
[[dimension]]
name = "Region"
elements = ["North", "South"]
[[graphical_function]]
name = "Demand"
dimensions = ["Region"]
[graphical_function.elements]
"North" = { graph = { x = [0, 10], y = [0, 100] } }
"South" = { graph = { x = [0, 10], y = [5, 5] } }
[[auxiliary]]
name = "South demand"
equation = "LOOKUP(Demand[South], 2)"
[[auxiliary]]
name = "Total demand"
equation = "SUM(LOOKUP(Demand[*], 4))"
[[auxiliary]]
name = "Own demand"
dimensions = ["Region"]
equation = "Demand(3)"
"#;
    let (model, diagnostics) = fulcrum_model::native::read(text).expect("reads");
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    assert_eq!(at_start(&model, "South demand"), 5.0);
    assert_eq!(at_start(&model, "Total demand"), 40.0 + 5.0);
    assert_eq!(at_start(&model, "Own demand[North]"), 30.0);
    assert_eq!(at_start(&model, "Own demand[South]"), 5.0);
}

/// Two dimensions A (2 elements) and B (3), and `m[A, B] = 10·A + B`, the dimension names
/// standing for the element's position.
fn grid() -> ModelBuilder {
    ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("A", &["a1", "a2"])
        .dimension("B", &["b1", "b2", "b3"])
        .aux("m", "A * 10 + B")
        .over(&["A", "B"])
}

#[test]
fn a_dimension_name_in_an_equation_is_the_position_of_the_element() {
    let model = grid().aux("q", "IF B = 2 THEN 100 ELSE B").over(&["B"]).build();
    assert_eq!(at_start(&model, "m[a1,b1]"), 11.0);
    assert_eq!(at_start(&model, "m[a2,b3]"), 23.0);
    assert_eq!([at_start(&model, "q[b1]"), at_start(&model, "q[b2]"), at_start(&model, "q[b3]")], [1.0, 100.0, 3.0]);
    // Outside an equation arrayed over it, a dimension name has no element to stand for.
    let model = grid().aux("Bad", "A + 1").build();
    let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid");
    assert!(diagnostics.0[0].message.contains("`A` is a dimension"), "{diagnostics:?}");
    assert_eq!(diagnostics.0[0].code, fulcrum_model::Code::InvalidArgument, "{diagnostics:?}");
}

#[test]
fn numeric_elements_cross_with_named_ones() {
    // Stella's `<dim size="2"/>` has the elements 1 and 2.
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("N", &["1", "2"])
        .dimension("E", &["Element_1", "Element_2"])
        .aux("a", "N * 10 + E")
        .over(&["N", "E"])
        .aux("x", "a[1, Element_1] + a[2, Element_2]")
        .build();
    assert_eq!(at_start(&model, "a[2,Element_1]"), 21.0);
    assert_eq!(at_start(&model, "x"), 33.0);
}

#[test]
fn transposed_references_bind_dimensions_by_name_not_position() {
    let model = grid().aux("t", "m[A, B]").over(&["B", "A"]).aux("u", "m").over(&["B", "A"]).build();
    for (b, a) in [(1, 1), (1, 2), (3, 1), (2, 2)] {
        let expected = f64::from(a * 10 + b);
        assert_eq!(at_start(&model, &format!("t[b{b},a{a}]")), expected);
        assert_eq!(at_start(&model, &format!("u[b{b},a{a}]")), expected);
    }
}

#[test]
fn a_variable_may_be_arrayed_over_one_dimension_twice() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("C", &["c1", "c2", "c3"])
        .aux("sc", "0")
        .over(&["C", "C"])
        .element(&["c2", "c3"], "23")
        .element(&["c3", "c2"], "32")
        .aux("y", "sc[c2, c3] + sc[3, 2] / 100")
        .aux("row", "SUM(sc[c2, *])")
        .build();
    assert_eq!(at_start(&model, "sc[c2,c3]"), 23.0);
    assert_eq!(at_start(&model, "sc[c3,c3]"), 0.0);
    assert_eq!(at_start(&model, "y"), 23.32);
    assert_eq!(at_start(&model, "row"), 23.0);
}

#[test]
fn nan_is_a_value_an_element_can_hold() {
    let model = grid().aux("p", "NAN").over(&["A"]).element(&["a2"], "3").aux("z", "p[a2]").build();
    assert!(at_start(&model, "p[a1]").is_nan());
    assert_eq!(at_start(&model, "z"), 3.0);
}

#[test]
fn array_functions_over_slices_of_a_four_dimensional_array() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("A", &["a1", "a2"])
        .dimension("B", &["b1", "b2"])
        .dimension("C", &["c1", "c2"])
        .dimension("D", &["d1", "d2", "d3"])
        .aux("h", "A * 1000 + B * 100 + C * 10 + D")
        .over(&["A", "B", "C", "D"])
        .aux("w", "h[a2, b1, c2, d3]")
        .aux("s", "SUM(h[a1, b1, *, D])")
        .over(&["D"])
        .aux("mean", "MEAN(h[a2, *, c1, *])")
        .aux("low", "MIN(h[*, b2, *, d2])")
        .aux("high", "MAX(h[*, *, *, 1])")
        .aux("spread", "STDDEV(h[a1, b1, c1, *])")
        .aux("count", "SIZE(h[a1, *, *, *])")
        .build();
    assert_eq!(at_start(&model, "w"), 2123.0);
    // 1110 + D + 1120 + D
    assert_eq!(at_start(&model, "s[d3]"), 2236.0);
    // (2111 + 2112 + 2113 + 2211 + 2212 + 2213) / 6
    assert_eq!(at_start(&model, "mean"), 2162.0);
    assert_eq!(at_start(&model, "low"), 1212.0);
    assert_eq!(at_start(&model, "high"), 2221.0);
    // The population standard deviation of 1111, 1112, 1113.
    assert!((at_start(&model, "spread") - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    assert_eq!(at_start(&model, "count"), 12.0);
}

/// A Vensim model's array defined element by element may leave elements without an equation:
/// the model runs, those elements are neither computed nor output, a warning names them, and an
/// equation that reads one is an error at that reference, naming the element. In XMILE's
/// conventions each such element is a variable without an equation.
#[test]
fn elements_without_an_equation_are_not_output_and_cannot_be_read() {
    let model_with = |reader: &str| {
        format!(
            r#"
[model]
dialect = "vensim"
[sim]
start = 0
stop = 2
dt = 1
[[dimension]]
name = "Region"
elements = ["North", "East", "South", "West"]
[[auxiliary]]
name = "Sales"
dimensions = ["Region"]
[auxiliary.elements]
"North" = "TIME"
"South" = "10"
[[auxiliary]]
name = "North and South"
equation = "Sales[North] + Sales[South]"
{reader}"#
        )
    };
    let (model, diagnostics) = fulcrum_model::native::read(&model_with("")).expect("reads");
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).expect("runs with a warning");
    let warnings: Vec<(&str, &str)> =
        resolved.warnings.0.iter().map(|d| (d.code.as_str(), d.message.as_str())).collect();
    assert_eq!(warnings, [("W0004", "`Sales` leaves 2 elements undefined: `Sales[East]`, `Sales[West]`")]);
    let results = run(&model);
    let columns: Vec<&str> = results.names().iter().map(String::as_str).collect();
    assert_eq!(columns, ["Sales[North]", "Sales[South]", "North and South"]);
    assert_eq!(series(&results, "North and South"), [10.0, 11.0, 12.0]);
    assert!(compiled(&model).lookup("Sales[East]").is_none(), "an undefined element is not a variable to ask for");
    let mut xmile = model.clone();
    xmile.dialect = Dialect::Xmile;
    let diagnostics = fulcrum_model::resolve(&xmile).expect_err("in XMILE every element needs an equation");
    let codes: Vec<&str> = diagnostics.0.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0206", "E0206"]);

    // Read directly, through an apply-to-all equation, or in a sum: each is an error where it
    // reads, and the warning stays. A sum stops at its first failing term, as for any error.
    let readers = r#"
[[auxiliary]]
name = "East"
equation = "Sales[East] * 2"
[[auxiliary]]
name = "Copy"
dimensions = ["Region"]
equation = "Sales"
[[auxiliary]]
name = "Total"
equation = "SUM(Sales[*])"
"#;
    let text = model_with(readers);
    let (model, _) = fulcrum_model::native::read(&text).expect("reads");
    let diagnostics = fulcrum_model::resolve(&model).expect_err("reading an undefined element is an error");
    let found: Vec<(&str, &str, &str)> = diagnostics
        .0
        .iter()
        .map(|d| {
            let span = d.span.map_or("", |span| &text[span.start as usize..span.end as usize]);
            (d.code.as_str(), d.message.as_str(), span)
        })
        .collect();
    assert_eq!(
        found,
        [
            ("W0004", "`Sales` leaves 2 elements undefined: `Sales[East]`, `Sales[West]`", "\"Sales\""),
            ("E0206", "`East` reads `Sales[East]`, which is not defined", "Sales[East]"),
            ("E0206", "`Copy[East]` reads `Sales[East]`, which is not defined", "Sales"),
            ("E0206", "`Copy[West]` reads `Sales[West]`, which is not defined", "Sales"),
            ("E0206", "`Total` reads `Sales[East]`, which is not defined", "Sales[*]"),
        ]
    );
}

//! Documentation stays true to the schema: every attribute has a description, and every doc
//! page's attribute table names exactly the schema's attributes.

use std::collections::BTreeSet;
use std::path::Path;
use terraform_provider_maskinporten::provider::MaskinportenProvider;
use terraform_provider_maskinporten::tfplugin::{Provider, Schema};

/// Attribute names in the first column of the page's markdown tables (backticked).
fn documented(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or("");
            first.split('`').skip(1).step_by(2).map(String::from).collect::<Vec<_>>()
        })
        .collect()
}

fn page(kind: &str, type_name: &str) -> String {
    let file = type_name.trim_start_matches("maskinporten_");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(kind).join(format!("{file}.md"));
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()))
}

fn check(kind: &str, type_name: &str, schema: &Schema, problems: &mut Vec<String>) {
    let names: BTreeSet<String> = schema.attributes.iter().map(|a| a.name.clone()).collect();
    for a in &schema.attributes {
        if a.description.len() < 15 {
            problems.push(format!("{type_name}.{}: no real description", a.name));
        }
    }
    let doc = documented(&page(kind, type_name));
    // Data-source pages may refer to the resource's attributes wholesale.
    let doc_ok = |n: &String| {
        doc.contains(n) || (kind == "data-sources" && page(kind, type_name).contains("all attributes of the"))
    };
    for n in names.iter().filter(|n| !doc_ok(n)) {
        problems.push(format!("docs/{kind}/{type_name}: attribute {n} missing from the table"));
    }
    for n in doc.iter().filter(|n| !names.contains(*n)) {
        problems.push(format!("docs/{kind}/{type_name}: table names {n}, which the schema lacks"));
    }
}

#[test]
fn doc_tables_match_the_schema() {
    let p = MaskinportenProvider::new(Default::default());
    let mut problems = vec![];
    for r in p.resources() {
        check("resources", r.type_name(), &r.schema(), &mut problems);
    }
    for d in p.data_sources() {
        check("data-sources", d.type_name(), &d.schema(), &mut problems);
    }
    for e in p.ephemeral_resources() {
        check("ephemeral-resources", e.type_name(), &e.schema(), &mut problems);
    }
    for a in &p.schema().attributes {
        if a.description.len() < 15 {
            problems.push(format!("provider.{}: no real description", a.name));
        }
    }
    let index =
        documented(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/index.md")).unwrap());
    let provider: BTreeSet<String> = p.schema().attributes.iter().map(|a| a.name.clone()).collect();
    assert_eq!(index, provider, "docs/index.md lists the provider's attributes");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

//! `cargo xtask docs`: the reference pages under `docs/` written from the provider's schema, so
//! they cannot drift from it. `tests/docs.rs` includes this module and fails when a checked-in
//! page differs from what [`render_all`] writes. It uses only the provider crate's public API.
//!
//! Every page is a template filled from the schema. The template of `docs/<dir>/<name>.md` is
//! `docs/templates/<dir>/<name>.md.tmpl` (of `docs/index.md`: `docs/templates/index.md.tmpl`):
//! hand-written front matter and prose — notes, warnings, how the resource behaves — around
//! placeholders. A placeholder is `{{ .Name }}` (the spaces are optional); these exist:
//!
//! | placeholder | filled with |
//! |---|---|
//! | `{{ .Name }}` | the type name (`maskinporten_scope`), or the function name |
//! | `{{ .Kind }}` | `Resource`, `Data Source`, `Ephemeral Resource`, `Function` or `Provider` |
//! | `{{ .Summary }}` | the first sentence of the schema's description, or the function's summary |
//! | `{{ .Description }}` | the schema's (or the function's) description |
//! | `{{ .Example }}` | the example file of the type, fenced as terraform (see [`Page::example`]) |
//! | `{{ .Schema }}` | argument and attribute reference, with their own `##` headings; for a function its signature, arguments and return type |
//! | `{{ .Import }}` | resources only: `terraform import`, an `import` block by id, and one by identity |
//!
//! Any other `{{` is an error, so a misspelt placeholder cannot pass silently; pages never need
//! a literal `{{`. A page without a template gets [`default_template`]. Each page carries a
//! comment after its front matter naming its template.

mod import;
mod reference;

use std::path::{Path, PathBuf};
use terraform_provider_maskinporten::provider::MaskinportenProvider;
use terraform_provider_maskinporten::tfplugin::{Provider, Schema};

/// The layout of a page without a template: title, description, the example when there is
/// one, the reference, and for a resource its import forms.
fn default_template(page: &Page, root: &Path) -> String {
    let mut t = String::from(
        "---\npage_title: \"{{ .Name }} {{ .Kind }} - maskinporten\"\ndescription: |-\n  {{ .Summary }}\n---\n\n\
         # {{ .Name }} ({{ .Kind }})\n\n{{ .Description }}\n\n",
    );
    if root.join(page.example()).exists() {
        t.push_str("## Example Usage\n\n{{ .Example }}\n\n");
    }
    t.push_str("{{ .Schema }}\n");
    if page.import.is_some() {
        t.push_str("\n## Import\n\n{{ .Import }}\n");
    }
    t
}

/// What `{{ .Kind }}` is in [`DEFAULT_TEMPLATE`], and the directories of a kind of page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Provider,
    Resource,
    DataSource,
    Ephemeral,
    Function,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Provider => "Provider",
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
            Kind::Ephemeral => "Ephemeral Resource",
            Kind::Function => "Function",
        }
    }
    /// The directory under docs/ (and docs/templates/), and the example's directory and file.
    fn dirs(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Provider => ("", "provider", "provider.tf"),
            Kind::Resource => ("resources", "resources", "resource.tf"),
            Kind::DataSource => ("data-sources", "data-sources", "data-source.tf"),
            Kind::Ephemeral => ("ephemeral-resources", "ephemeral-resources", "ephemeral-resource.tf"),
            Kind::Function => ("functions", "functions", "function.tf"),
        }
    }
}

/// Directories under docs/ whose every page this generator owns.
pub const OWNED_DIRS: &[&str] = &["resources", "data-sources", "ephemeral-resources", "functions"];

/// One page: where it goes and what fills its placeholders.
struct Page {
    kind: Kind,
    name: String,
    summary: String,
    description: String,
    schema: String,
    /// The rendered import forms, or why they cannot be (resources only).
    import: Option<Result<String, String>>,
}

impl Page {
    fn file_stem(&self) -> &str {
        self.name.strip_prefix("maskinporten_").unwrap_or(&self.name)
    }
    /// Relative path of the generated page.
    fn out(&self) -> PathBuf {
        match self.kind {
            Kind::Provider => PathBuf::from("docs/index.md"),
            k => PathBuf::from(format!("docs/{}/{}.md", k.dirs().0, self.file_stem())),
        }
    }
    fn template(&self) -> PathBuf {
        match self.kind {
            Kind::Provider => PathBuf::from("docs/templates/index.md.tmpl"),
            k => PathBuf::from(format!("docs/templates/{}/{}.md.tmpl", k.dirs().0, self.file_stem())),
        }
    }
    /// `examples/provider/provider.tf`, `examples/resources/<type>/resource.tf`,
    /// `examples/data-sources/<type>/data-source.tf`,
    /// `examples/ephemeral-resources/<type>/ephemeral-resource.tf` or
    /// `examples/functions/<name>/function.tf`.
    fn example(&self) -> PathBuf {
        let (_, dir, file) = self.kind.dirs();
        match self.kind {
            Kind::Provider => PathBuf::from(format!("examples/{dir}/{file}")),
            _ => PathBuf::from(format!("examples/{dir}/{}/{file}", self.name)),
        }
    }
}

/// The first sentence of a description.
fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text.to_string(),
    }
}

fn schema_page(kind: Kind, name: &str, schema: &Schema) -> Page {
    Page {
        kind,
        name: name.to_string(),
        summary: first_sentence(&schema.description),
        description: schema.description.clone(),
        schema: reference::schema(schema, kind == Kind::Resource, kind == Kind::Provider),
        import: None,
    }
}

fn pages(root: &Path) -> Vec<Page> {
    let p = MaskinportenProvider::new(Default::default());
    let mut pages = vec![schema_page(Kind::Provider, "maskinporten", &p.schema())];
    for r in p.resources() {
        let mut page = schema_page(Kind::Resource, r.type_name(), &r.schema());
        let sh = root.join(format!("examples/resources/{}/import.sh", r.type_name()));
        page.import = Some(match std::fs::read_to_string(&sh) {
            Ok(text) => {
                import::forms(r.type_name(), r.identity().as_ref(), &text).map_err(|e| format!("{}: {e}", sh.display()))
            }
            Err(e) => Err(format!("{}: {e}", sh.display())),
        });
        pages.push(page);
    }
    for d in p.data_sources() {
        pages.push(schema_page(Kind::DataSource, d.type_name(), &d.schema()));
    }
    for e in p.ephemeral_resources() {
        pages.push(schema_page(Kind::Ephemeral, e.type_name(), &e.schema()));
    }
    for f in p.functions() {
        pages.push(Page {
            kind: Kind::Function,
            name: f.name().to_string(),
            summary: f.summary().to_string(),
            description: f.description().to_string(),
            schema: reference::function(f.as_ref()),
            import: None,
        });
    }
    pages
}

/// Replace every placeholder of `template` (named `source` in errors).
fn fill(template: &str, source: &str, page: &Page, root: &Path) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").map(|i| start + i);
        let end = end.unwrap_or_else(|| panic!("{source}: a `{{{{` without `}}}}`"));
        let key = rest[start + 2..end].trim();
        let value = match key {
            ".Name" => page.name.clone(),
            ".Kind" => page.kind.title().to_string(),
            ".Summary" => page.summary.clone(),
            ".Description" => page.description.clone(),
            ".Schema" => page.schema.trim_end().to_string(),
            ".Example" => {
                let path = page.example();
                let text = std::fs::read_to_string(root.join(&path))
                    .unwrap_or_else(|e| panic!("{source}: {{{{ .Example }}}} needs {}: {e}", path.display()));
                format!("```terraform\n{}\n```", text.trim_end())
            }
            ".Import" => match &page.import {
                Some(Ok(text)) => text.trim_end().to_string(),
                Some(Err(e)) => panic!("{source}: {{{{ .Import }}}}: {e}"),
                None => panic!("{source}: {{{{ .Import }}}} is for resources only"),
            },
            other => panic!(
                "{source}: unknown placeholder {{{{ {other} }}}}; known: .Name .Kind .Summary .Description .Example .Schema .Import"
            ),
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The comment after the front matter that says where a page comes from.
fn with_notice(text: &str, template: &Path, exists: bool) -> String {
    let t = template.display();
    let notice = if exists {
        format!("<!-- Generated by `cargo xtask docs` from {t} and the schema: edit those, not this page. -->\n")
    } else {
        format!(
            "<!-- Generated by `cargo xtask docs` from the schema in the default layout; write {t} to add prose. -->\n"
        )
    };
    let split = text.strip_prefix("---\n").and_then(|body| body.find("\n---\n").map(|i| i + 4 + 5));
    let mut out = match split {
        Some(i) => format!("{}\n{notice}{}", &text[..i], &text[i..]),
        None => format!("{notice}\n{text}"),
    };
    // Trailing spaces and blank lines at the end are never meant.
    out = out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

/// Every page this generator owns: its path relative to `root` and its full text. Panics with
/// the template's name when a template is broken or an example it needs is missing.
pub fn render_all(root: &Path) -> Vec<(PathBuf, String)> {
    let pages = pages(root);
    let templates: Vec<PathBuf> = pages.iter().map(Page::template).collect();
    for orphan in list_files(&root.join("docs/templates"), ".tmpl") {
        let rel = orphan.strip_prefix(root).unwrap_or(&orphan).to_path_buf();
        assert!(templates.contains(&rel), "{}: no resource, data source or function of that name", rel.display());
    }
    pages
        .iter()
        .map(|page| {
            let template = page.template();
            let text = match std::fs::read_to_string(root.join(&template)) {
                Ok(t) => with_notice(&fill(&t, &template.display().to_string(), page, root), &template, true),
                Err(_) => with_notice(
                    &fill(&default_template(page, root), "the default layout", page, root),
                    &template,
                    false,
                ),
            };
            (page.out(), text)
        })
        .collect()
}

/// Files under `dir` (recursively) whose names end in `suffix`, sorted.
pub fn list_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(list_files(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// What is out of date on disk: pages that differ from [`render_all`] or are missing, and pages
/// in the generated directories that no type has. Empty when the docs are current.
pub fn stale(root: &Path) -> Vec<String> {
    let rendered = render_all(root);
    let mut problems = vec![];
    for (path, text) in &rendered {
        match std::fs::read_to_string(root.join(path)) {
            Ok(on_disk) if on_disk == *text => {}
            Ok(_) => problems.push(format!("{} differs from what the generator writes", path.display())),
            Err(_) => problems.push(format!("{} is missing", path.display())),
        }
    }
    for dir in OWNED_DIRS {
        for page in list_files(&root.join("docs").join(dir), ".md") {
            let rel = page.strip_prefix(root).unwrap_or(&page).to_path_buf();
            if !rendered.iter().any(|(p, _)| *p == rel) {
                problems.push(format!("{} documents nothing the provider serves", rel.display()));
            }
        }
    }
    problems
}

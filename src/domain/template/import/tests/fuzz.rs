//! Property tests of the Terraform import: whatever the files (any paths, any text, random
//! bytes, HCL-shaped text, edited templates), it never panics and either imports or lists
//! errors that point into the files. Also the cases those tests led to: evaluation that
//! recursed or allocated without bound.

use proptest::prelude::*;

use super::{ImportErrors, MAIN_TF, SourceFile, parse_template};

/// The stack of a tokio worker, where the server runs the import.
const WORKER_STACK: usize = 2 << 20;

/// Paths: mostly `.tf`, sometimes not, sometimes odd.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["main.tf", "variables.tf", "modules/vm.tf", "a.tf"])
            .prop_map(str::to_owned),
        2 => "[a-z/._-]{0,12}\\.tf",
        1 => prop::sample::select(vec!["", ".tf", "x.TF", "main.tf.bak", "README.md", "main.tf\0"])
            .prop_map(str::to_owned),
        1 => any::<String>(),
        1 => any::<String>().prop_map(|s| format!("{s}.tf")),
    ]
}

/// Number texts at the edges of i64, u64 and f64.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "3.0",
    "1e3",
    "1e400",
    "-1e400",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "123456789012345678901234567890",
];

/// HCL expressions: literals the import accepts, references that resolve or not, and what
/// it refuses (functions, operators, conditionals, `for`, splats, template directives).
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => prop::sample::select(NUMBERS).prop_map(str::to_owned),
        3 => "[a-zA-Z0-9 _.:/-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        1 => any::<String>().prop_map(|s| format!("{s:?}")),
        1 => prop::sample::select(vec![
            "true", "false", "null", "\"true\"", "\"7\"", "\" 12 \"", "\"1.5\"", "\"\"",
            "\"${var.v}\"", "\"a${local.l}b\"", "\"${1}\"", "\"${true}\"", "\"%{if true}x%{endif}\"",
            "\"\\u0000\"", "\"\\ud800\"", "<<EOT\nline\nEOT\n", "<<-EOT\n  ${var.v}\n  EOT\n",
        ])
        .prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "var.v", "var.w", "local.l", "local.m", "local.missing", "var.missing", "var.v[0]",
            "local.l.x", "data.coder_workspace.me.name", "count.index", "each.key", "self",
            "path.module",
        ])
        .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec(("[a-z_]{1,6}", inner.clone()), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }),
            inner.clone().prop_map(|e| format!("jsonencode({e})")),
            inner.clone().prop_map(|e| format!("upper({e})")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("-{e}")),
            inner.clone().prop_map(|e| format!("!{e}")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("{a} ? {b} : {c}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} + {b}")),
            inner.clone().prop_map(|e| format!("[for s in {e} : s]")),
            inner.prop_map(|e| format!("{e}[0]")),
        ]
    })
}

/// Block headers the import reads, nested blocks it reads inside them, and others.
const BLOCKS: &[&str] = &[
    "data \"coder_parameter\" \"p\"",
    "data \"coder_parameter\" \"q\"",
    "data \"coder_workspace_preset\" \"w\"",
    "resource \"coder_agent\" \"main\"",
    "resource \"coder_ai_task\" \"t\"",
    "variable \"v\"",
    "variable \"w\"",
    "locals",
    "option",
    "validation",
    "prebuilds",
    "expiration_policy",
    "scheduling",
    "schedule",
    "dynamic \"option\"",
    "terraform",
    "data \"coder_parameter\"",
    "resource \"docker_container\" \"c\"",
];

/// Attribute names the import reads, and a few it does not.
const ATTRIBUTES: &[&str] = &[
    "name",
    "type",
    "default",
    "count",
    "for_each",
    "display_name",
    "description",
    "mutable",
    "ephemeral",
    "order",
    "form_type",
    "icon",
    "min",
    "max",
    "monotonic",
    "regex",
    "error",
    "instances",
    "ttl",
    "timezone",
    "cron",
    "parameters",
    "value",
    "l",
    "m",
    "os",
];

/// An HCL body: attributes and blocks, blocks nesting up to three levels.
fn body() -> impl Strategy<Value = String> {
    let attribute = (prop::sample::select(ATTRIBUTES), expression())
        .prop_map(|(name, value)| format!("{name} = {value}\n"));
    let leaf = prop::collection::vec(attribute, 0..4).prop_map(|lines| lines.concat());
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop::collection::vec(
            prop_oneof![
                2 => (prop::sample::select(ATTRIBUTES), expression())
                    .prop_map(|(name, value)| format!("{name} = {value}\n")),
                1 => (prop::sample::select(BLOCKS), inner)
                    .prop_map(|(header, body)| format!("{header} {{\n{body}}}\n")),
            ],
            0..5,
        )
        .prop_map(|items| items.concat())
    })
}

/// MAIN_TF with a slice cut out or a piece of HCL put in, at any character boundary.
fn edited_template() -> impl Strategy<Value = String> {
    let insert = (
        any::<prop::sample::Index>(),
        prop_oneof![body(), expression()],
    )
        .prop_map(|(at, piece)| {
            let at = char_boundary(MAIN_TF, at.index(MAIN_TF.len() + 1));
            format!("{}{piece}{}", &MAIN_TF[..at], &MAIN_TF[at..])
        });
    let cut = (any::<prop::sample::Index>(), 0usize..200).prop_map(|(at, len)| {
        let start = char_boundary(MAIN_TF, at.index(MAIN_TF.len() + 1));
        let end = char_boundary(MAIN_TF, (start + len).min(MAIN_TF.len()));
        format!("{}{}", &MAIN_TF[..start], &MAIN_TF[end..])
    });
    prop_oneof![insert, cut]
}

fn char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// File contents: arbitrary text, random bytes read as UTF-8, HCL-shaped text, edits of a
/// real template.
fn content() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..512)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        4 => body(),
        2 => edited_template(),
    ]
}

fn files(content: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<SourceFile>> {
    prop::collection::vec(
        (path(), content).prop_map(|(path, content)| SourceFile { path, content }),
        0..4,
    )
}

/// What holds for every import: it is deterministic; errors, when there are any, are
/// listed in file and line order and point into a `.tf` file; an import is sorted as
/// documented and names each parameter and preset once.
fn check(files: &[SourceFile]) -> Result<(), TestCaseError> {
    let result = parse_template(files);
    prop_assert_eq!(&result, &parse_template(files), "not deterministic");
    match result {
        Err(ImportErrors { errors }) => {
            prop_assert!(!errors.is_empty());
            let order: Vec<_> = errors.iter().map(|e| (&e.file, e.line)).collect();
            let mut sorted = order.clone();
            sorted.sort();
            prop_assert_eq!(&order, &sorted, "errors out of order");
            for error in &errors {
                if error.file.is_empty() {
                    continue;
                }
                let file = files
                    .iter()
                    .filter(|f| f.path == error.file && f.path.ends_with(".tf"))
                    .map(|f| f.content.split('\n').count())
                    .max();
                prop_assert!(file.is_some(), "{} names no .tf file", error);
                prop_assert!(
                    file.is_some_and(|lines| error.line <= lines),
                    "{} points past the end of its file",
                    error
                );
            }
        }
        Ok(import) => {
            prop_assert!(files.iter().any(|f| f.path.ends_with(".tf")));
            let order: Vec<_> = import
                .parameters
                .iter()
                .map(|p| (p.order, &p.name))
                .collect();
            prop_assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "parameters {:?}",
                order
            );
            let presets: Vec<_> = import.presets.iter().map(|p| &p.name).collect();
            prop_assert!(
                presets.windows(2).all(|w| w[0] < w[1]),
                "presets {:?}",
                presets
            );
            prop_assert!(import.agents.windows(2).all(|w| w[0] <= w[1]));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_files(files in files(content())) {
        check(&files)?;
    }

    #[test]
    fn never_panics_on_hcl_shaped_text(content in body(), extra in files(body())) {
        let mut files = vec![SourceFile { path: "main.tf".to_owned(), content }];
        files.extend(extra);
        check(&files)?;
    }

    #[test]
    fn never_panics_on_edited_templates(content in edited_template()) {
        check(&[SourceFile { path: "main.tf".to_owned(), content }])?;
    }
}

/// Imports `main_tf` on a thread with a worker's stack, as the server would.
fn import_on_worker_stack(main_tf: String) -> Result<(), ImportErrors> {
    std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || {
            parse_template(&[SourceFile {
                path: "main.tf".to_owned(),
                content: main_tf,
            }])
            .map(|_| ())
        })
        .expect("thread")
        .join()
        .expect("the import did not panic")
}

/// `locals { l0 = 1, l1 = <wrap(l0)>, ... }` and one parameter whose default is the last.
fn chained_locals(links: usize, wrap: impl Fn(&str) -> String) -> String {
    let mut tf = String::from("locals {\n  l0 = 1\n");
    for i in 1..links {
        tf.push_str(&format!(
            "  l{i} = {}\n",
            wrap(&format!("local.l{}", i - 1))
        ));
    }
    tf.push_str(&format!(
        "}}\ndata \"coder_parameter\" \"p\" {{\n  name    = \"p\"\n  default = local.l{}\n}}\n",
        links - 1
    ));
    tf
}

/// Found while fuzzing the import: each link of a chain of locals recursed through the
/// whole expression of the next, so a few hundred links overflowed the stack and aborted
/// the server.
#[test]
fn a_long_chain_of_locals_is_refused_before_it_overflows_the_stack() {
    let wraps: [fn(&str) -> String; 2] = [
        |reference| reference.to_owned(),
        |reference| format!("{}{reference}{}", "[".repeat(60), "]".repeat(60)),
    ];
    for wrap in wraps {
        let errors = import_on_worker_stack(chained_locals(1_000, wrap)).expect_err("refused");
        assert_eq!(errors.errors.len(), 1);
        assert!(
            errors.errors[0]
                .message
                .ends_with("expressions and references nest more than 128 deep"),
            "{}",
            errors.errors[0]
        );
    }
    // Real templates chain a few locals, and literals may nest as deep as HCL allows.
    assert!(import_on_worker_stack(chained_locals(50, |r| r.to_owned())).is_ok());
    assert!(
        import_on_worker_stack(chained_locals(2, |r| format!(
            "{}{r}{}",
            "[".repeat(60),
            "]".repeat(60)
        )))
        .is_ok()
    );
}

/// Found with the case above: locals evaluated one at a time (each parameter reading the
/// next) never recurse deeply, but each nests the previous value once more, and converting
/// the result overflowed the stack.
#[test]
fn values_nested_through_locals_are_refused_past_literal_depth() {
    let mut tf = chained_locals(20, |r| format!("{}{r}{}", "[".repeat(60), "]".repeat(60)));
    for i in 0..20 {
        tf.push_str(&format!(
            "data \"coder_parameter\" \"p{i}\" {{\n  name    = \"p{i}\"\n  default = local.l{i}\n}}\n"
        ));
    }
    let errors = import_on_worker_stack(tf).expect_err("refused");
    assert!(
        errors
            .errors
            .iter()
            .any(|e| e.message == "local.l2 (main.tf:4): the value nests more than 64 levels deep"),
        "{errors}"
    );
}

/// Found with the cases above: every local of a failing chain repeated the message of the
/// one it references, so reading each of n locals held n²/2 places: a 1.7 MB template with
/// 20,000 locals asked for gigabytes.
#[test]
fn a_long_chain_of_failing_locals_keeps_its_messages_short() {
    let links = 3_000;
    let mut tf = String::from("locals {\n  l0 = local.missing\n");
    for i in 1..links {
        tf.push_str(&format!("  l{i} = local.l{}\n", i - 1));
    }
    tf.push_str("}\n");
    for i in 0..links {
        tf.push_str(&format!(
            "data \"coder_parameter\" \"p{i}\" {{\n  name    = \"p{i}\"\n  default = local.l{i}\n}}\n"
        ));
    }
    let errors = import_on_worker_stack(tf).expect_err("refused");
    assert_eq!(errors.errors.len(), links);
    for error in &errors.errors {
        assert!(error.message.len() < 1_100, "{}", error.message.len());
        assert!(
            error.message.ends_with("no local `missing` is declared"),
            "{error}"
        );
    }
}

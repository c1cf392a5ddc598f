//! GraphQL documents generated from the served schema: its root fields, arguments, input
//! types and enums. A clean generator writes documents that mostly pass validation, so
//! resolvers and the domain run on odd values; a chaotic one adds everything validation must
//! refuse (unknown fields and directives, wrong types, undefined or cyclic fragments, several
//! operations, trailing junk).

use std::cell::RefCell;
use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

use super::values::{
    MAX_DOCUMENT_VALUE_DEPTH, Val, cron_text, datetime_value, float, int32, int64, json_value,
    license_text, milliseconds, plain_text, search_filter, terraform_text, text, uuid_value,
};

/// Selections nest at most this deep below a root field; the server's own limit is 15.
const MAX_SELECTION_DEPTH: usize = 3;

/// Input objects nest at most this deep, so generated values stay small.
const MAX_INPUT_DEPTH: usize = 3;

// --- the schema ------------------------------------------------------------------------------

/// An argument or input field.
struct InputDef {
    name: String,
    ty: Type,
    /// Non-null without a default: leaving it out is an error.
    required: bool,
}

/// A field of an output type.
struct FieldDef {
    name: String,
    args: Vec<InputDef>,
    ty: Type,
}

/// The served schema, as much of it as generation needs.
pub(super) struct SchemaModel {
    objects: HashMap<String, Vec<FieldDef>>,
    inputs: HashMap<String, Vec<InputDef>>,
    enums: HashMap<String, Vec<String>>,
}

impl SchemaModel {
    /// Reads the SDL the server serves (the same text as `schema.graphql`).
    pub(super) fn served() -> Self {
        let document = async_graphql::parser::parse_schema(devplane::graphql::sdl())
            .expect("the served SDL parses");
        let mut model = SchemaModel {
            objects: HashMap::new(),
            inputs: HashMap::new(),
            enums: HashMap::new(),
        };
        let input = |definition: async_graphql::parser::types::InputValueDefinition| InputDef {
            name: definition.name.node.to_string(),
            required: !definition.ty.node.nullable && definition.default_value.is_none(),
            ty: definition.ty.node,
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let definition = definition.node;
            let name = definition.name.node.to_string();
            match definition.kind {
                TypeKind::Object(object) => {
                    let fields = object
                        .fields
                        .into_iter()
                        .map(|field| FieldDef {
                            name: field.node.name.node.to_string(),
                            args: field
                                .node
                                .arguments
                                .into_iter()
                                .map(|arg| input(arg.node))
                                .collect(),
                            ty: field.node.ty.node,
                        })
                        .collect();
                    model.objects.insert(name, fields);
                }
                TypeKind::InputObject(object) => {
                    let fields = object
                        .fields
                        .into_iter()
                        .map(|field| input(field.node))
                        .collect();
                    model.inputs.insert(name, fields);
                }
                TypeKind::Enum(enumeration) => {
                    let values = enumeration
                        .values
                        .into_iter()
                        .map(|value| value.node.value.node.to_string())
                        .collect();
                    model.enums.insert(name, values);
                }
                _ => {}
            }
        }
        model
    }
}

/// The named type under any list and non-null wrappers.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

// --- documents -------------------------------------------------------------------------------

/// How an argument is written.
#[derive(Debug, Clone)]
enum ArgForm {
    Inline(Val),
    /// A variable of the declared type, given `value` in the variables (absent when None).
    Variable {
        declared: String,
        value: Option<Val>,
        default: Option<Val>,
    },
}

#[derive(Debug, Clone)]
struct Directive {
    name: &'static str,
    arg: Option<ArgForm>,
}

#[derive(Debug, Clone)]
enum Selection {
    Field {
        alias: Option<String>,
        name: String,
        args: Vec<(String, ArgForm)>,
        directives: Vec<Directive>,
        children: Vec<Selection>,
    },
    Inline {
        on: Option<String>,
        directives: Vec<Directive>,
        children: Vec<Selection>,
    },
    /// `...F<n>`; a number past the document's fragments names none.
    Spread(usize),
}

#[derive(Debug, Clone)]
struct Operation {
    /// `query`, `mutation`, `subscription`, or None for the `{ … }` shorthand.
    keyword: Option<&'static str>,
    name: Option<String>,
    selections: Vec<Selection>,
}

#[derive(Debug, Clone)]
struct Fragment {
    on: String,
    selections: Vec<Selection>,
    /// Spreads the previous fragment: a chain, never a fan-out, so the expanded document
    /// stays linear in what is generated.
    spreads_previous: bool,
    /// Spreads itself, a cycle the server must refuse.
    spreads_itself: bool,
}

/// A generated document.
#[derive(Debug, Clone)]
pub(super) struct Document {
    operations: Vec<Operation>,
    fragments: Vec<Fragment>,
    /// Appended raw: junk, unbalanced braces, a second anonymous operation.
    trailer: Option<String>,
}

/// A rendered document and its variables.
pub(super) struct Rendered {
    /// The document text.
    pub(super) query: String,
    /// The variables as a JSON object.
    pub(super) variables: String,
    /// The names of the named operations, in order.
    pub(super) names: Vec<String>,
}

impl Document {
    /// The document text and its variables.
    pub(super) fn render(&self) -> Rendered {
        let mut variables = Vec::new();
        let mut counter = 0;
        let mut out = String::new();
        let mut names = Vec::new();
        for operation in &self.operations {
            let mut declarations = Vec::new();
            let mut body = String::new();
            // The `{ … }` shorthand cannot declare variables: its arguments go inline.
            let mut context = Context {
                declarations: operation.keyword.map(|_| &mut declarations),
                variables: &mut variables,
                counter: &mut counter,
            };
            context.selections(&operation.selections, &mut body);
            if let Some(keyword) = operation.keyword {
                out.push_str(keyword);
                if let Some(name) = &operation.name {
                    out.push(' ');
                    out.push_str(name);
                    names.push(name.clone());
                }
                if !declarations.is_empty() {
                    out.push('(');
                    out.push_str(&declarations.join(", "));
                    out.push(')');
                }
                out.push(' ');
            }
            out.push_str(&body);
            out.push('\n');
        }
        for (i, fragment) in self.fragments.iter().enumerate() {
            let mut context = Context {
                declarations: None,
                variables: &mut variables,
                counter: &mut counter,
            };
            let mut selections = fragment.selections.clone();
            if fragment.spreads_previous && i > 0 {
                selections.push(Selection::Spread(i - 1));
            }
            if fragment.spreads_itself {
                selections.push(Selection::Spread(i));
            }
            let mut body = String::new();
            context.selections(&selections, &mut body);
            out.push_str(&format!("fragment F{i} on {} {body}\n", fragment.on));
        }
        if let Some(trailer) = &self.trailer {
            out.push_str(trailer);
        }
        let entries: Vec<String> = variables
            .iter()
            .map(|(name, value)| format!("\"{name}\":{value}"))
            .collect();
        Rendered {
            query: out,
            variables: format!("{{{}}}", entries.join(",")),
            names,
        }
    }
}

/// Where rendering puts variables: an operation declares them; in a fragment, which no
/// operation declares them for, arguments are written inline.
struct Context<'a> {
    declarations: Option<&'a mut Vec<String>>,
    variables: &'a mut Vec<(String, String)>,
    counter: &'a mut usize,
}

impl Context<'_> {
    fn selections(&mut self, selections: &[Selection], out: &mut String) {
        out.push('{');
        for selection in selections {
            out.push(' ');
            self.selection(selection, out);
        }
        out.push_str(" }");
    }

    fn selection(&mut self, selection: &Selection, out: &mut String) {
        match selection {
            Selection::Field {
                alias,
                name,
                args,
                directives,
                children,
            } => {
                if let Some(alias) = alias {
                    out.push_str(alias);
                    out.push_str(": ");
                }
                out.push_str(name);
                if !args.is_empty() {
                    out.push('(');
                    for (i, (arg, form)) in args.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(arg);
                        out.push_str(": ");
                        self.arg(form, out);
                    }
                    out.push(')');
                }
                self.directives(directives, out);
                if !children.is_empty() {
                    out.push(' ');
                    self.selections(children, out);
                }
            }
            Selection::Inline {
                on,
                directives,
                children,
            } => {
                out.push_str("...");
                if let Some(on) = on {
                    out.push_str(" on ");
                    out.push_str(on);
                }
                self.directives(directives, out);
                out.push(' ');
                self.selections(children, out);
            }
            Selection::Spread(n) => out.push_str(&format!("...F{n}")),
        }
    }

    fn directives(&mut self, directives: &[Directive], out: &mut String) {
        for directive in directives {
            out.push_str(" @");
            out.push_str(directive.name);
            if let Some(arg) = &directive.arg {
                out.push_str("(if: ");
                self.arg(arg, out);
                out.push(')');
            }
        }
    }

    fn arg(&mut self, form: &ArgForm, out: &mut String) {
        match (form, self.declarations.as_deref_mut()) {
            (ArgForm::Inline(value), _) => value.graphql(out),
            (ArgForm::Variable { value, .. }, None) => {
                value.as_ref().unwrap_or(&Val::Null).graphql(out)
            }
            (
                ArgForm::Variable {
                    declared,
                    value,
                    default,
                },
                Some(declarations),
            ) => {
                let name = format!("v{}", self.counter);
                *self.counter += 1;
                let mut declaration = format!("${name}: {declared}");
                if let Some(default) = default {
                    declaration.push_str(" = ");
                    default.graphql(&mut declaration);
                }
                declarations.push(declaration);
                if let Some(value) = value {
                    self.variables.push((name.clone(), value.to_json()));
                }
                out.push('$');
                out.push_str(&name);
            }
        }
    }
}

// --- strategies ------------------------------------------------------------------------------

type SelectionSet = BoxedStrategy<Vec<Selection>>;

/// Builds document strategies from the schema, cleanly or chaotically.
pub(super) struct DocumentGenerator<'a> {
    schema: &'a SchemaModel,
    /// Ids of seeded rows, for UUID arguments.
    ids: &'a [String],
    /// The key the server trusts, to sign generated licenses.
    license_secret: [u8; 32],
    /// Also write what validation must refuse.
    chaos: bool,
    any_value: BoxedStrategy<Val>,
    /// Selection sets by (object type, depth), built once each: the type graph has cycles.
    selections: RefCell<HashMap<(String, usize), SelectionSet>>,
}

impl<'a> DocumentGenerator<'a> {
    pub(super) fn new(
        schema: &'a SchemaModel,
        ids: &'a [String],
        license_secret: [u8; 32],
        chaos: bool,
        any_value: BoxedStrategy<Val>,
    ) -> Self {
        DocumentGenerator {
            schema,
            ids,
            license_secret,
            chaos,
            any_value,
            selections: RefCell::new(HashMap::new()),
        }
    }

    /// Documents: one operation when clean; otherwise up to two, with fragments and junk.
    pub(super) fn document(&self) -> BoxedStrategy<Document> {
        if !self.chaos {
            let operation = prop_oneof![
                4 => self.operation(Some("query"), "Query"),
                4 => self.operation(Some("mutation"), "Mutation"),
                1 => self.operation(None, "Query"),
            ];
            return operation
                .prop_map(|operation| Document {
                    operations: vec![operation],
                    fragments: Vec::new(),
                    trailer: None,
                })
                .boxed();
        }
        let operation = prop_oneof![
            5 => self.operation(Some("query"), "Query"),
            5 => self.operation(Some("mutation"), "Mutation"),
            1 => self.operation(None, "Query"),
            1 => self.operation(Some("subscription"), "Query"),
            1 => self.operation(Some("query"), "Mutation"),
        ];
        let fragment = (
            prop_oneof![
                4 => Just("Query".to_owned()),
                1 => Just("Mutation".to_owned()),
                1 => Just("User".to_owned()),
                1 => "[A-Z][a-z]{0,6}",
            ],
            self.selection_set("Query", 1),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.03),
        )
            .prop_map(
                |(on, selections, spreads_previous, spreads_itself)| Fragment {
                    on,
                    selections,
                    spreads_previous,
                    spreads_itself,
                },
            );
        let trailer = prop_oneof![
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("{ hasFirstUser }".to_owned()),
            Just("query { hasFirstUser }".to_owned()),
            Just("# comment".to_owned()),
            (1usize..3_000).prop_map(|n| format!("{}a{}", "{".repeat(n), "}".repeat(n))),
            (1..=MAX_DOCUMENT_VALUE_DEPTH).prop_map(|n| format!(
                "{{ f(a: {}1{}) }}",
                "[".repeat(n),
                "]".repeat(n)
            )),
            plain_text(),
        ];
        (
            prop::collection::vec(operation, 1..3),
            prop::collection::vec(fragment, 0..3),
            prop::option::weighted(0.05, trailer),
        )
            .prop_map(|(operations, fragments, trailer)| Document {
                operations,
                fragments,
                trailer,
            })
            .boxed()
    }

    fn operation(&self, keyword: Option<&'static str>, root: &str) -> BoxedStrategy<Operation> {
        (
            prop::option::weighted(0.5, "Op[A-Za-z0-9]{0,4}"),
            self.selection_set(root, 0),
        )
            .prop_map(move |(name, selections)| Operation {
                keyword,
                name,
                selections,
            })
            .boxed()
    }

    /// One to three selections of `type_name`'s fields at `depth`, and inline fragments;
    /// chaotically also unknown fields, spreads and introspection at the root.
    fn selection_set(&self, type_name: &str, depth: usize) -> SelectionSet {
        let key = (type_name.to_owned(), depth);
        if let Some(found) = self.selections.borrow().get(&key) {
            return found.clone();
        }
        let fields = self
            .schema
            .objects
            .get(type_name)
            .map_or(&[][..], Vec::as_slice);
        let mut choices: Vec<(u32, BoxedStrategy<Selection>)> = fields
            .iter()
            .filter_map(|field| self.field(field, depth).map(|s| (4, s)))
            .collect();
        choices.push((1, Just(plain_field("__typename")).boxed()));
        if self.chaos {
            choices.push((1, Just(plain_field("bogusField")).boxed()));
        }
        if self.chaos && depth == 0 {
            choices.push((2, (0usize..4).prop_map(Selection::Spread).boxed()));
            let schema = Selection::Field {
                alias: None,
                name: "__schema".to_owned(),
                args: Vec::new(),
                directives: Vec::new(),
                children: vec![Selection::Field {
                    alias: None,
                    name: "queryType".to_owned(),
                    args: Vec::new(),
                    directives: Vec::new(),
                    children: vec![plain_field("name")],
                }],
            };
            choices.push((1, Just(schema).boxed()));
        }
        if depth < MAX_SELECTION_DEPTH {
            let on = if self.chaos {
                prop::option::of(prop_oneof![
                    3 => Just(type_name.to_owned()),
                    1 => "[A-Z][a-z]{0,6}",
                ])
                .boxed()
            } else {
                prop::option::of(Just(type_name.to_owned())).boxed()
            };
            let inline = (on, self.directives(), self.leaf_selection_set(type_name))
                .prop_map(|(on, directives, children)| Selection::Inline {
                    on,
                    directives,
                    children,
                })
                .boxed();
            choices.push((1, inline));
        }
        let strategy = prop::collection::vec(Union::new_weighted(choices), 1..4).boxed();
        self.selections.borrow_mut().insert(key, strategy.clone());
        strategy
    }

    /// Scalar fields without arguments, for inline fragments.
    fn leaf_selection_set(&self, type_name: &str) -> SelectionSet {
        let mut names: Vec<String> = self
            .schema
            .objects
            .get(type_name)
            .into_iter()
            .flatten()
            .filter(|field| {
                field.args.is_empty() && !self.schema.objects.contains_key(named(&field.ty))
            })
            .map(|field| field.name.clone())
            .collect();
        names.push("__typename".to_owned());
        prop::collection::vec(
            prop::sample::select(names).prop_map(|name| plain_field(&name)),
            1..3,
        )
        .boxed()
    }

    /// A field with arguments, directives and, for object types, a selection set one level
    /// down. None for an object field at the deepest level.
    fn field(&self, field: &FieldDef, depth: usize) -> Option<BoxedStrategy<Selection>> {
        let target = named(&field.ty);
        let children = if self.schema.objects.contains_key(target) {
            if depth >= MAX_SELECTION_DEPTH {
                return None;
            }
            self.selection_set(target, depth + 1)
        } else {
            Just(Vec::new()).boxed()
        };
        let mut args: Vec<BoxedStrategy<Option<(String, ArgForm)>>> = field
            .args
            .iter()
            .map(|arg| {
                let name = arg.name.clone();
                let present = self
                    .arg_form(&arg.ty, &arg.name)
                    .prop_map(move |form| Some((name.clone(), form)));
                if arg.required && !self.chaos {
                    present.boxed()
                } else {
                    prop_oneof![6 => present, 1 => Just(None)].boxed()
                }
            })
            .collect();
        if self.chaos {
            let unknown = ("[a-z]{1,6}", self.any_value.clone())
                .prop_map(|(name, value)| (name, ArgForm::Inline(value)));
            args.push(prop::option::weighted(0.03, unknown).boxed());
        }
        let name = field.name.clone();
        Some(
            (
                prop::option::weighted(0.2, "[a-z][a-zA-Z0-9_]{0,6}"),
                args,
                self.directives(),
                children,
            )
                .prop_map(
                    move |(alias, args, directives, children)| Selection::Field {
                        alias,
                        name: name.clone(),
                        args: args.into_iter().flatten().collect(),
                        directives,
                        children,
                    },
                )
                .boxed(),
        )
    }

    /// None or one of `@include` and `@skip`; chaotically also misplaced, unknown or
    /// mistyped directives.
    fn directives(&self) -> BoxedStrategy<Vec<Directive>> {
        let variable = |declared: &'static str| {
            any::<bool>().prop_map(move |b| ArgForm::Variable {
                declared: declared.to_owned(),
                value: Some(Val::Bool(b)),
                default: None,
            })
        };
        let (names, condition) = if self.chaos {
            let condition = prop_oneof![
                4 => any::<bool>().prop_map(|b| ArgForm::Inline(Val::Bool(b))),
                1 => variable("Boolean!"),
                1 => variable("String"),
                1 => Just(ArgForm::Variable {
                    declared: "Boolean!".to_owned(),
                    value: None,
                    default: None,
                }),
                1 => self.any_value.clone().prop_map(ArgForm::Inline),
            ];
            (
                vec!["include", "skip", "deprecated", "bogus"],
                prop::option::weighted(0.9, condition).boxed(),
            )
        } else {
            let condition = prop_oneof![
                any::<bool>().prop_map(|b| ArgForm::Inline(Val::Bool(b))),
                variable("Boolean!"),
            ];
            (vec!["include", "skip"], condition.prop_map(Some).boxed())
        };
        let directive = (prop::sample::select(names), condition)
            .prop_map(|(name, arg)| Directive { name, arg });
        prop_oneof![
            3 => Just(Vec::new()),
            1 => directive.prop_map(|directive| vec![directive]),
        ]
        .boxed()
    }

    /// An argument written inline or as a variable.
    fn arg_form(&self, ty: &Type, name: &str) -> BoxedStrategy<ArgForm> {
        let value = self.typed_value(ty, name, 0);
        let real = ty.to_string();
        if !self.chaos {
            let variable_value = if ty.nullable {
                prop::option::weighted(0.9, value.clone()).boxed()
            } else {
                value.clone().prop_map(Some).boxed()
            };
            let variable = variable_value.prop_map(move |value| ArgForm::Variable {
                declared: real.clone(),
                value,
                default: None,
            });
            return prop_oneof![value.prop_map(ArgForm::Inline), variable].boxed();
        }
        let declared = prop_oneof![
            8 => Just(real),
            1 => prop::sample::select(vec!["String", "String!", "Int", "[UUID!]!", "Bogus", "JSON", "[[Int]]"])
                .prop_map(str::to_owned),
        ];
        let variable = (
            declared,
            prop::option::weighted(0.9, value.clone()),
            prop::option::weighted(0.05, value.clone()),
        )
            .prop_map(|(declared, value, default)| ArgForm::Variable {
                declared,
                value,
                default,
            });
        prop_oneof![value.prop_map(ArgForm::Inline), variable].boxed()
    }

    /// A value of `ty`; chaotically also null where it may not be, and any other shape.
    /// `hint`, the argument or input field name, picks domain-shaped strings.
    fn typed_value(&self, ty: &Type, hint: &str, depth: usize) -> BoxedStrategy<Val> {
        let typed = match &ty.base {
            BaseType::List(inner) => {
                let item = self.typed_value(inner, hint, depth + 1);
                if self.chaos {
                    prop_oneof![
                        4 => prop::collection::vec(item.clone(), 0..4).prop_map(Val::List),
                        // A single value where a list is expected is coerced to a list of one.
                        1 => item,
                    ]
                    .boxed()
                } else {
                    prop::collection::vec(item, 0..4)
                        .prop_map(Val::List)
                        .boxed()
                }
            }
            BaseType::Named(name) => self.named_value(name, hint, depth),
        };
        if self.chaos {
            prop_oneof![
                16 => typed,
                1 => Just(Val::Null),
                1 => self.any_value.clone(),
            ]
            .boxed()
        } else if ty.nullable {
            prop_oneof![9 => typed, 1 => Just(Val::Null)].boxed()
        } else {
            typed
        }
    }

    fn named_value(&self, type_name: &str, hint: &str, depth: usize) -> BoxedStrategy<Val> {
        match type_name {
            "String" | "ID" => self.string_value(hint),
            "Int" if self.chaos => super::values::number(),
            "Int" => int32(),
            "Float" => float(),
            "Int64" => int64(),
            "Milliseconds" if !self.chaos => milliseconds(),
            "Milliseconds" => int64(),
            "Boolean" => any::<bool>().prop_map(Val::Bool).boxed(),
            "UUID" => uuid_value(self.ids, self.chaos),
            "DateTime" => datetime_value(self.chaos),
            "JSON" | "Upload" if self.chaos => self.any_value.clone(),
            "JSON" | "Upload" => json_value(),
            _ => {
                if let Some(values) = self.schema.enums.get(type_name) {
                    self.enum_value(values.clone())
                } else if let Some(fields) = self.schema.inputs.get(type_name) {
                    self.input_object(fields, depth)
                } else {
                    self.any_value.clone()
                }
            }
        }
    }

    fn enum_value(&self, values: Vec<String>) -> BoxedStrategy<Val> {
        if !self.chaos {
            return prop::sample::select(values).prop_map(Val::Enum).boxed();
        }
        prop_oneof![
            8 => prop::sample::select(values.clone()).prop_map(Val::Enum),
            1 => prop::sample::select(values.clone()).prop_map(|v| Val::Enum(v.to_lowercase())),
            1 => prop::sample::select(values).prop_map(Val::str),
        ]
        .boxed()
    }

    fn input_object(&self, fields: &[InputDef], depth: usize) -> BoxedStrategy<Val> {
        if depth >= MAX_INPUT_DEPTH {
            return Just(Val::Object(Vec::new())).boxed();
        }
        let mut entries: Vec<BoxedStrategy<Option<(String, Val)>>> = fields
            .iter()
            .map(|field| {
                let name = field.name.clone();
                let present = self
                    .typed_value(&field.ty, &field.name, depth + 1)
                    .prop_map(move |value| (name.clone(), value));
                if field.required && !self.chaos {
                    present.prop_map(Some).boxed()
                } else {
                    prop::option::weighted(0.8, present).boxed()
                }
            })
            .collect();
        if self.chaos {
            let unknown = ("[a-z]{1,6}", self.any_value.clone());
            entries.push(prop::option::weighted(0.05, unknown).boxed());
        }
        entries
            .prop_map(|entries| Val::Object(entries.into_iter().flatten().collect()))
            .boxed()
    }

    /// Strings shaped for the argument they go to, half of the time.
    fn string_value(&self, hint: &str) -> BoxedStrategy<Val> {
        let shaped = match hint {
            "filter" => search_filter(),
            "autostartSchedule" | "cron" | "schedule" => cron_text(),
            "content" => terraform_text(),
            "license" => license_text(self.license_secret),
            "email" => prop_oneof![
                "[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}",
                Just("admin@example.com".to_owned()),
                Just("ADMIN@EXAMPLE.COM ".to_owned()),
            ]
            .prop_map(Val::str)
            .boxed(),
            "path" => prop_oneof![
                prop::sample::select(vec![
                    "main.tf",
                    "a/b.tf",
                    "../main.tf",
                    "/etc/passwd",
                    "main.tf\0",
                    "dir/",
                    "x.TF",
                    ".tf",
                    "C:\\main.tf",
                ])
                .prop_map(str::to_owned),
                "[a-z/.]{0,12}(\\.tf)?",
            ]
            .prop_map(Val::str)
            .boxed(),
            "name" | "username" | "displayName" => prop_oneof![
                "[a-z][a-z0-9-]{0,40}",
                Just("dev".to_owned()),
                Just("docker".to_owned()),
                Just("admin".to_owned()),
            ]
            .prop_map(Val::str)
            .boxed(),
            _ => return text(self.chaos),
        };
        prop_oneof![shaped, text(self.chaos)].boxed()
    }
}

fn plain_field(name: &str) -> Selection {
    Selection::Field {
        alias: None,
        name: name.to_owned(),
        args: Vec::new(),
        directives: Vec::new(),
        children: Vec::new(),
    }
}

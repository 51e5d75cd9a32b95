//! One Replicas slider. Without the `core` feature it shows the number; with it, the three
//! files (or the diagnostics) that trident-core renders for that many replicas.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    let replicas = use_state(|| 3u32);
    let oninput = {
        let replicas = replicas.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            replicas.set(value.parse().unwrap_or(1));
        })
    };
    #[cfg(feature = "core")]
    let shown: Html = {
        let spec = trident_core::Spec {
            replicas: *replicas,
            ..Default::default()
        };
        match trident_core::generate(&spec) {
            Ok(g) => g
                .files
                .iter()
                .map(|f| html! { <pre>{ f.contents.clone() }</pre> })
                .collect(),
            Err(diags) => diags
                .iter()
                .map(|d| html! { <p>{ d.message.clone() }{ d.hint.clone() }</p> })
                .collect(),
        }
    };
    #[cfg(not(feature = "core"))]
    let shown = html! { <p>{ *replicas }</p> };
    html! {
        <>
            <label for="replicas">{ "Replicas" }</label>
            <input id="replicas" type="range" min="1" max="64" value={replicas.to_string()} {oninput} />
            { shown }
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}

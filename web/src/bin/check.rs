//! The Web Worker of *Check my files* (see `trident_web::checker`): answers each message
//! with lint's findings and import's spec. Trunk builds it as its own wasm
//! (`data-type="worker"` in web/index.html), which the page loads when the view is used.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
        let input: js_sys::Array = e.data().unchecked_into();
        let _ = reply.post_message(&trident_web::checker::check(&input));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages sent before the wasm was instantiated found no handler: the page waits for
    // this one before it sends.
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

//! Rendered pixels at known points of generated pages.

use ecabinet_pdf::compose::{Item, Rgb};
use ecabinet_pdf::{ImageFormat, RenderRequest, RenderedPage};

use crate::{engine, filled, page, text};

fn rgb_at(p: &RenderedPage, x: u32, y: u32) -> (u8, u8, u8) {
    assert_eq!(p.format, ImageFormat::Rgba);
    assert!(
        x < p.width && y < p.height,
        "({x},{y}) outside {}x{}",
        p.width,
        p.height
    );
    let i = ((y * p.width + x) * 4) as usize;
    (p.bytes[i], p.bytes[i + 1], p.bytes[i + 2])
}

fn is_red(c: (u8, u8, u8)) -> bool {
    c.0 > 200 && c.1 < 60 && c.2 < 60
}

fn is_white(c: (u8, u8, u8)) -> bool {
    c.0 > 245 && c.1 > 245 && c.2 > 245
}

fn raw(page: u32, scale: f32, rotation: u16) -> RenderRequest {
    RenderRequest {
        page,
        scale,
        rotation,
        format: ImageFormat::Rgba,
    }
}

#[test]
fn a_red_rectangle_renders_red_at_its_centre_and_the_page_stays_white_outside() {
    // Rectangle x 100..200, y 600..700 on A4; at 2x, pixel y = (842 - y) * 2.
    let pdf = engine()
        .compose(
            None,
            vec![page(
                595.0,
                842.0,
                0,
                vec![filled(100.0, 600.0, 100.0, 100.0, Rgb::RED)],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "red@1").unwrap();
    let p = engine().render(doc.handle, raw(0, 2.0, 0)).unwrap();
    assert_eq!((p.width, p.height), (1190, 1684));
    assert!(
        is_red(rgb_at(&p, 300, 384)),
        "centre {:?}",
        rgb_at(&p, 300, 384)
    );
    assert!(
        is_red(rgb_at(&p, 204, 288)),
        "just inside the top-left corner"
    );
    assert!(is_white(rgb_at(&p, 196, 384)), "left of the rectangle");
    assert!(is_white(rgb_at(&p, 300, 490)), "below the rectangle");
    assert!(is_white(rgb_at(&p, 1000, 1500)), "far away");
}

#[test]
fn a_page_with_rotate_90_shows_its_bottom_left_corner_at_the_top_left() {
    // A 200x100 landscape page turned 90° clockwise displays 100 wide, 200 tall.
    // PDF point (x, y) lands at display pixel (y, x).
    let pdf = engine()
        .compose(
            None,
            vec![page(
                200.0,
                100.0,
                90,
                vec![filled(10.0, 10.0, 40.0, 30.0, Rgb::RED)],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "rot90@1").unwrap();
    assert_eq!(engine().page_rotation(doc.handle, 0).unwrap(), 90);
    assert_eq!((doc.pages[0].width, doc.pages[0].height), (100.0, 200.0));
    let p = engine().render(doc.handle, raw(0, 1.0, 0)).unwrap();
    assert_eq!((p.width, p.height), (100, 200));
    assert!(is_red(rgb_at(&p, 25, 30)), "{:?}", rgb_at(&p, 25, 30));
    assert!(is_white(rgb_at(&p, 75, 30)));
    assert!(is_white(rgb_at(&p, 25, 170)));
}

#[test]
fn a_render_rotation_turns_the_picture_clockwise() {
    let pdf = engine()
        .compose(
            None,
            vec![page(
                200.0,
                100.0,
                0,
                vec![filled(10.0, 10.0, 40.0, 30.0, Rgb::RED)],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "rot-req@1").unwrap();
    let upright = engine().render(doc.handle, raw(0, 1.0, 0)).unwrap();
    assert_eq!((upright.width, upright.height), (200, 100));
    assert!(is_red(rgb_at(&upright, 30, 75)), "bottom-left unrotated");
    let turned = engine().render(doc.handle, raw(0, 1.0, 90)).unwrap();
    assert_eq!((turned.width, turned.height), (100, 200));
    assert!(
        is_red(rgb_at(&turned, 25, 30)),
        "top-left after 90° clockwise"
    );
    let upside = engine().render(doc.handle, raw(0, 1.0, 180)).unwrap();
    assert!(is_red(rgb_at(&upside, 170, 25)), "top-right after 180°");
    assert!(is_white(rgb_at(&upside, 30, 75)));
}

#[test]
fn mixed_page_sizes_render_at_their_own_sizes() {
    let pdf = engine()
        .compose(
            None,
            vec![
                page(595.0, 842.0, 0, vec![]),
                page(792.0, 612.0, 0, vec![]),
                page(
                    300.0,
                    200.0,
                    0,
                    vec![filled(0.0, 0.0, 300.0, 200.0, Rgb(0, 0, 255))],
                ),
            ],
        )
        .unwrap();
    let doc = engine().open(pdf, "mixed@1").unwrap();
    let sizes: Vec<(f32, f32)> = doc.pages.iter().map(|p| (p.width, p.height)).collect();
    assert_eq!(sizes, vec![(595.0, 842.0), (792.0, 612.0), (300.0, 200.0)]);
    for (i, (w, h)) in sizes.iter().enumerate() {
        let p = engine().render(doc.handle, raw(i as u32, 0.5, 0)).unwrap();
        assert_eq!(
            (p.width, p.height),
            ((w * 0.5).round() as u32, (h * 0.5).round() as u32)
        );
    }
    let small = engine().render(doc.handle, raw(2, 0.5, 0)).unwrap();
    let c = rgb_at(&small, 75, 50);
    assert!(c.2 > 200 && c.0 < 60, "{c:?}");
}

#[test]
fn an_embedded_image_shows_its_pixels() {
    // 4x4 image: left half green, right half blue, placed at 100..300 x 100..300.
    let mut pixels = Vec::new();
    for _y in 0..4 {
        for x in 0..4 {
            pixels.extend_from_slice(if x < 2 { &[0, 200, 0] } else { &[0, 0, 230] });
        }
    }
    let img = Item::Image {
        x: 100.0,
        y: 100.0,
        w: 200.0,
        h: 200.0,
        px_w: 4,
        px_h: 4,
        pixels,
    };
    let pdf = engine()
        .compose(None, vec![page(400.0, 400.0, 0, vec![img])])
        .unwrap();
    let doc = engine().open(pdf, "image@1").unwrap();
    let p = engine().render(doc.handle, raw(0, 1.0, 0)).unwrap();
    let left = rgb_at(&p, 140, 200);
    let right = rgb_at(&p, 260, 200);
    assert!(
        left.1 > 150 && left.0 < 60 && left.2 < 60,
        "green half {left:?}"
    );
    assert!(
        right.2 > 180 && right.0 < 60 && right.1 < 60,
        "blue half {right:?}"
    );
    assert!(is_white(rgb_at(&p, 50, 50)));
}

#[test]
fn text_renders_dark_glyphs_where_it_was_placed() {
    let pdf = engine()
        .compose(
            None,
            vec![page(
                400.0,
                200.0,
                0,
                vec![text(20.0, 100.0, 48.0, "IIIIIIII")],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "text@1").unwrap();
    let p = engine().render(doc.handle, raw(0, 1.0, 0)).unwrap();
    // Glyph band: baseline y=100 → pixel row 100; cap height ~34 pt above.
    let dark = (20..300)
        .filter(|&x| {
            let c = rgb_at(&p, x, 85);
            c.0 < 80 && c.1 < 80 && c.2 < 80
        })
        .count();
    assert!(dark > 20, "only {dark} dark pixels across the text band");
    let blank_above = (20..300).all(|x| is_white(rgb_at(&p, x, 40)));
    assert!(blank_above, "nothing drawn above the text");
}

#[test]
fn png_and_webp_encodings_decode_to_the_same_picture() {
    let pdf = engine()
        .compose(
            None,
            vec![page(
                100.0,
                100.0,
                0,
                vec![filled(0.0, 0.0, 50.0, 100.0, Rgb::RED)],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "enc@1").unwrap();
    let raw_page = engine().render(doc.handle, raw(0, 1.0, 0)).unwrap();
    for format in [ImageFormat::Png, ImageFormat::Webp] {
        let req = RenderRequest {
            format,
            ..raw(0, 1.0, 0)
        };
        let enc = engine().render(doc.handle, req).unwrap();
        let fmt = if format == ImageFormat::Png {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::WebP
        };
        let decoded = image::load_from_memory_with_format(&enc.bytes, fmt)
            .unwrap()
            .to_rgba8();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (raw_page.width, raw_page.height)
        );
        assert_eq!(decoded.as_raw(), &raw_page.bytes, "{format:?} is lossless");
    }
}

/// PPM and PNG are written from PDFium's RGB rows; a width whose rows PDFium
/// pads (not a multiple of 4 pixels) must still come out as the same
/// picture as the raw RGBA render, row for row, in every rotation.
#[test]
fn ppm_and_png_match_the_raw_pixels_at_widths_with_padded_rows() {
    let blue = Rgb(20, 40, 230);
    let pdf = engine()
        .compose(
            None,
            vec![page(
                101.0,
                37.0,
                0,
                vec![
                    filled(0.0, 0.0, 30.0, 37.0, Rgb::RED),
                    filled(70.0, 10.0, 31.0, 27.0, blue),
                ],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "padded@1").unwrap();
    for (scale, rotation) in [(1.0, 0), (1.0, 90), (2.0, 180), (0.5, 270), (1.37, 0)] {
        let raw_page = engine()
            .render(doc.handle, raw(0, scale, rotation))
            .unwrap();
        let rgb: Vec<u8> = raw_page
            .bytes
            .chunks_exact(4)
            .flat_map(|px| px[..3].to_vec())
            .collect();
        let at = |format| RenderRequest {
            format,
            ..raw(0, scale, rotation)
        };
        let ppm = engine().render(doc.handle, at(ImageFormat::Ppm)).unwrap();
        let header = format!("P6\n{} {}\n255\n", raw_page.width, raw_page.height);
        assert!(
            ppm.bytes.starts_with(header.as_bytes()),
            "PPM header at scale {scale}, rotation {rotation}"
        );
        assert!(
            ppm.bytes[header.len()..] == rgb[..],
            "PPM pixels differ from the raw render at scale {scale}, rotation {rotation} ({}x{})",
            raw_page.width,
            raw_page.height
        );
        let png = engine().render(doc.handle, at(ImageFormat::Png)).unwrap();
        let decoded = image::load_from_memory_with_format(&png.bytes, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (raw_page.width, raw_page.height)
        );
        assert!(
            decoded.as_raw() == &rgb,
            "PNG pixels differ from the raw render at scale {scale}, rotation {rotation}"
        );
    }
    // The picture is there: red at the left edge, blue towards the right.
    let page = engine().render(doc.handle, raw(0, 1.0, 0)).unwrap();
    assert!(is_red(rgb_at(&page, 5, 20)));
    let b = rgb_at(&page, 90, 20);
    assert!(b.2 > 200 && b.0 < 60, "blue at the right: {b:?}");
    assert!(is_white(rgb_at(&page, 50, 20)));
}

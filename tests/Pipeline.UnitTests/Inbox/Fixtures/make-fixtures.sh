#!/usr/bin/env bash
# Remakes the photos PhotoNormalizerTests read, offline, with Debian's tools:
#   apt-get install -y ffmpeg libimage-exiftool-perl libheif-examples python3
# Each shows the same upright scene: blue, a red square at its top-left corner and a green one at its top-right, so a
# test can tell from two corners whether the pixels came out upright (and not mirrored).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ff() { ffmpeg -v error -y "$@"; }
exif() { exiftool -q -overwrite_original "$@"; }
camera=(-Make=Fixture -Model="Fixture Phone" -DateTimeOriginal="2026:05:01 12:00:00")
paris=(-GPSLatitude=48.8584 -GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E -GPSAltitude=35)

# scene W H OUT.png: the upright scene at that size.
scene() {
  local red="drawbox=x=0:y=0:w=32:h=32:c=0xff0000:t=fill" green="drawbox=x=$(($1 - 32)):y=0:w=32:h=32:c=0x00ff00:t=fill"
  ff -f lavfi -i "color=c=0x2050c0:s=${1}x${2},$red,$green" -frames:v 1 -fflags +bitexact -flags +bitexact "$3"
}
# jpeg IN FILTER OUT: IN's pixels turned by FILTER, stored as JPEG (ffmpeg writes no EXIF).
jpeg() { ff -i "$1" -vf "$2" -q:v 2 -fflags +bitexact -flags +bitexact "$3"; }

scene 96 144 "$work/portrait.png"
scene 144 96 "$work/landscape.png"

# Already fine: untouched by the normaliser. plain.jpg says orientation 1 and names a camera, which is fine too.
jpeg "$work/portrait.png" null plain.jpg
exif -Orientation#=1 "${camera[@]}" plain.jpg
cp "$work/portrait.png" plain.png
ff -i "$work/portrait.png" -c:v libwebp -quality 80 -fflags +bitexact -flags +bitexact plain.webp

# Stored sideways as a camera's sensor saw it; the EXIF orientation says how to turn it upright.
jpeg "$work/portrait.png" transpose=2 orientation-6.jpg # 90° anticlockwise; tag 6 turns it 90° clockwise
exif -Orientation#=6 "${camera[@]}" "${paris[@]}" orientation-6.jpg
jpeg "$work/portrait.png" hflip,vflip orientation-3.jpg
exif -Orientation#=3 orientation-3.jpg
jpeg "$work/portrait.png" transpose=1 orientation-8.jpg # 90° clockwise; tag 8 turns it back
exif -Orientation#=8 orientation-8.jpg

# Upright, but says where it was taken.
jpeg "$work/portrait.png" null location.jpg
exif "${camera[@]}" "${paris[@]}" location.jpg

# As an iPhone saves a portrait photo: landscape pixels, an irot box turning them upright, and the EXIF orientation
# (6) and location as well. heif-enc keeps the JPEG's EXIF; heif-rotate.py adds the irot heif-enc cannot write.
heif-enc -q 60 -o "$work/sideways.heic" orientation-6.jpg >/dev/null
python3 heif-rotate.py "$work/sideways.heic" portrait.heic 3 # 3 × 90° anticlockwise = 90° clockwise
# A landscape HEIC with nothing to turn and no location.
jpeg "$work/landscape.png" null "$work/landscape.jpg"
exif "${camera[@]}" "$work/landscape.jpg"
heif-enc -q 60 -o landscape.heic "$work/landscape.jpg" >/dev/null

# Damaged: a JPEG whose header runs into text, and a HEIC cut off before its picture data.
{ head -c 20 plain.jpg; printf 'this is not the rest of a JPEG\n%.0s' {1..16}; } > corrupt.jpg
head -c 400 landscape.heic > corrupt.heic

ls -l ./*.jpg ./*.png ./*.webp ./*.heic

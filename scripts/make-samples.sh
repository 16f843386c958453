#!/usr/bin/env bash
# Draws samples/harbour.jpg and samples/portrait.jpg with ffmpeg filters alone (no photo, nothing downloaded), so that
# the samples look like their names and can be made again: ./scripts/make-samples.sh
# Each picture is one geq expression per colour channel over a plain canvas: the shapes are tests on X and Y.
set -euo pipefail
cd "$(dirname "$0")/../samples" # samples/ holds the samples only

# --- harbour.jpg: 1280x720, dawn sky, a far shore, a sun and its reflection, waves, two sailing boats and a pier ---
horizon=430
sky="lt(Y,$horizon)"
sun="lt(hypot(X-900,Y-395),42)"
shore="gt(Y,$horizon-26-14*sin(X/70)-8*sin(X/23))*lt(Y,$horizon)"
# the sun's glitter on the water: a widening path under the sun, broken into ripples
glitter="gte(Y,$horizon)*lt(abs(X-900),14+(Y-$horizon)*0.22)*gt(sin(Y*0.9+sin(X*0.07)*3)+random(2)*0.5,1.05)"
wave="sin(X/17+5*sin(Y/9))*sin(Y/3.5)"
hull1="between(Y,540,578)*gt(X,330+(Y-540)*0.9)*lt(X,640-(Y-540)*1.2)"
mast1="between(X,470,476)*between(Y,330,540)"
sail1="gte(X,479)*lte(Y,530)*gte(Y,345)*lt(X-479,(Y-345)*0.75)"
hull2="between(Y,470,486)*gt(X,1040+(Y-470)*0.6)*lt(X,1160-(Y-470)*0.8)"
mast2="between(X,1092,1094)*between(Y,400,470)"
sail2="gte(X,1096)*lte(Y,466)*gte(Y,405)*lt(X-1096,(Y-405)*0.65)"
pier="between(Y,600,612)*lt(X,260)+between(Y,600,720)*lt(abs(mod(X,64)-32),4)*lt(X,260)"
dark="gt($hull1+$mast1+$hull2+$mast2+$pier,0)"
sail="gt($sail1+$sail2,0)"
# channel <sky top> <sky horizon> <sun> <shore> <sea> <wave amplitude> <glitter> <sail> <dark>
channel() {
  echo "if($dark,$9,if($sail,$8,if($sun,$3,if($shore,$4,if($sky,$1+($2-$1)*pow(Y/$horizon,1.6),if($glitter,$7,$5+(Y-$horizon)/8+$6*$wave+random(1)*10))))))"
}
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "color=c=black:s=1280x720:d=1" -frames:v 1 \
  -vf "format=rgb24,geq=r='$(channel 40 250 255 52 18 16 250 236 44)':g='$(channel 60 160 228 48 58 18 190 226 32)':b='$(channel 130 110 170 62 92 22 120 206 28)',format=yuvj420p" \
  -q:v 4 harbour.jpg

# --- portrait.jpg: 720x1280, head and shoulders on a warm background: hair with a fringe, face, eyes, brows, nose, smile, neck ---
face="lt(pow((X-360)/150,2)+pow((Y-560)/195,2),1)"
hair="lt(pow((X-360)/178,2)+pow((Y-520)/225,2),1)"
fringe="$hair*lt(Y,425+12*sin(X/14))"
eyes="lt(pow((abs(X-360)-62)/20,2)+pow((Y-545)/11,2),1)"
irises="lt(hypot(abs(X-360)-62,Y-545),8)"
brows="between(Y,505,513)*between(abs(X-360),35,92)"
nose="between(X,352,368)*between(Y,600,612)"
mouth="between(hypot(X-360,Y-600),58,66)*gt(Y,635)*lt(abs(X-360),48)"
neck="lt(abs(X-360),62)*between(Y,700,840)"
shoulders="lt(pow((X-360)/340,2)+pow((Y-1230)/420,2),1)"
collar="lt(abs(X-360),90-(Y-830)*0.9)*between(Y,830,930)"
# portrait <background top> <background bottom> <skin> <hair> <eye white> <iris> <brow> <mouth> <cloth> <nose shade>
portrait() {
  local vignette="(1-0.35*pow(hypot(X-360,Y-600)/900,2))"
  echo "if($irises*$eyes,$6,if($eyes,$5,if($brows,$7,if($mouth,$8,if($nose*$face,${10},if($fringe,$4+12*sin(X/6),if($face,$3-(abs(X-360)/150)*25,if($hair,$4+12*sin(X/6),if($collar,$3-20,if($shoulders,$9,if($neck,$3-22,($1+($2-$1)*Y/1280)*$vignette)))))))))))"
}
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "color=c=black:s=720x1280:d=1" -frames:v 1 \
  -vf "format=rgb24,geq=r='$(portrait 236 196 232 70 245 60 64 178 58 205)':g='$(portrait 170 110 186 42 245 40 40 82 86 160)':b='$(portrait 100 64 154 28 240 30 30 88 120 130)',format=yuvj420p" \
  -q:v 4 portrait.jpg

ls -l harbour.jpg portrait.jpg

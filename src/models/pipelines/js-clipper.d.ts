/** The part of js-clipper (Angus Johnson's Clipper, JavaScript port) the paddle-ocr pipeline uses. */
declare module "js-clipper" {
  const clipper: {
    ClipperOffset: new () => {
      AddPath(path: { X: number; Y: number }[], joinType: number, endType: number): void;
      Execute(out: { X: number; Y: number }[][], delta: number): void;
    };
    JoinType: { jtRound: number };
    EndType: { etClosedPolygon: number };
  };
  export default clipper;
}

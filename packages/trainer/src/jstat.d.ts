// The part of jstat 1.9 (which ships no types) that the statistics use.
declare module 'jstat' {
  const jStat: {
    studentt: { cdf(x: number, dof: number): number };
  };
  export default jStat;
}
